"""A damaged file that a run wrote (the LR search's result.json, summary.json) is named with the fix, not shown as
`error: 'chosen_lr'` or a bare JSON decoding message."""
import re

import pytest
from mmengine.config import Config

from adaptcls.errors import UserInputError
from adaptcls.lr_search.run_lr_search import apply_auto_lr
from adaptcls.utils.json_files import read_json_object


@pytest.mark.parametrize('content, problem', [
    (b'{"mode": "range_test"}', r"it lacks \['chosen_lr', 'total_trained_epochs', 'wall_time_s'\]"),
    (b'{"mode": "fast', 'not valid JSON'),
    (b'\xff\xfe garbage', 'not valid JSON'),
    (b'[1, 2]', 'it holds a JSON list, not an object'),
])
def test_a_resumed_run_names_its_damaged_lr_search_result(content, problem, tmp_path):
    result = tmp_path / 'lr_search' / 'result.json'
    result.parent.mkdir()
    result.write_bytes(content)
    cfg = Config(dict(work_dir=str(tmp_path), resume=True, launcher='none'))
    with pytest.raises(UserInputError, match=f'{re.escape(str(result))} is damaged: {problem}.*delete it'):
        apply_auto_lr(cfg, 'range_test', progress=lambda line: None)


def test_read_json_object_returns_the_object_and_names_the_fix(tmp_path):
    summary = tmp_path / 'summary.json'
    summary.write_text('{"best_metrics": {"top1": 0.5}}')
    assert read_json_object(str(summary), ('best_metrics',)) == {'best_metrics': {'top1': 0.5}}
    summary.write_text('{"best_metrics": ')
    with pytest.raises(UserInputError, match='summary.json is damaged: not valid JSON .*; train again'):
        read_json_object(str(summary), fix='train again')
