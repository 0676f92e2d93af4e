import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sklearn.datasets import load_digits

from adaptcls.datasets import ImageFolderDataset

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools' / 'make_demo_data.py'
# Images per digit in sklearn's load_digits.
CLASS_SIZES = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


from adaptcls.cli import make_demo_data  # noqa: E402  (what tools/make_demo_data.py runs)


@pytest.fixture(scope='module')
def demo_tree(tmp_path_factory):
    out = tmp_path_factory.mktemp('demo') / 'digits'
    assert make_demo_data.main(['--out', str(out), '--size', '8']) == 0
    return out


def class_counts(split_folder):
    return [len(list((split_folder / str(digit)).glob('*.png'))) for digit in range(10)]


def test_stratified_split_counts_and_balance(demo_tree):
    train, val = class_counts(demo_tree / 'train'), class_counts(demo_tree / 'val')

    assert (sum(train), sum(val)) == (1437, 360)
    assert [t + v for t, v in zip(train, val)] == CLASS_SIZES
    assert all(abs(v - 0.2 * n) <= 1 for v, n in zip(val, CLASS_SIZES))


def test_splits_are_disjoint_and_complete(demo_tree):
    names = {split: {p.name for p in (demo_tree / split).glob('*/*.png')} for split in ('train', 'val')}

    assert not names['train'] & names['val']
    assert names['train'] | names['val'] == {f'{i:04d}.png' for i in range(1797)}


def test_png_holds_the_digit_scaled_to_0_255(demo_tree):
    digits = load_digits()
    path = next((demo_tree / 'val').glob('*/*.png'))
    index = int(path.stem)

    pixels = np.asarray(Image.open(path))

    assert path.parent.name == str(digits.target[index])
    np.testing.assert_array_equal(pixels, np.rint(digits.images[index] * 255 / 16).astype(np.uint8))


def test_manifest_records_settings_and_counts(demo_tree):
    manifest = json.loads((demo_tree / 'manifest.json').read_text())

    assert (manifest['size'], manifest['val_fraction'], manifest['seed']) == (8, 0.2, 0)
    assert manifest['classes'] == [str(d) for d in range(10)]
    assert sum(manifest['counts']['val'].values()) == 360


def test_dataset_reads_the_demo_tree_with_digit_labels(demo_tree):
    dataset = ImageFolderDataset(data_root=str(demo_tree), data_prefix='train')

    assert dataset.metainfo['classes'] == tuple(str(d) for d in range(10))
    assert len(dataset) == 1437
    info = dataset.get_data_info(500)
    assert Path(info['img_path']).parent.name == str(info['gt_label'])


def test_second_run_with_same_settings_changes_nothing(demo_tree, capsys):
    manifest_mtime = (demo_tree / 'manifest.json').stat().st_mtime_ns

    assert make_demo_data.main(['--out', str(demo_tree), '--size', '8']) == 0

    assert 'already holds' in capsys.readouterr().out
    assert (demo_tree / 'manifest.json').stat().st_mtime_ns == manifest_mtime


def test_other_settings_need_force_then_replace_the_tree(tmp_path, capsys):
    out = tmp_path / 'digits'
    assert make_demo_data.main(['--out', str(out), '--size', '8']) == 0

    assert make_demo_data.main(['--out', str(out), '--size', '8', '--seed', '1']) == 1
    assert '--force' in capsys.readouterr().err
    assert make_demo_data.main(['--out', str(out), '--size', '8', '--seed', '1', '--force']) == 0

    assert json.loads((out / 'manifest.json').read_text())['seed'] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ['digits']


def test_a_tree_with_missing_files_is_not_taken_as_complete(tmp_path, capsys):
    out = tmp_path / 'digits'
    make_demo_data.main(['--out', str(out), '--size', '8'])
    next((out / 'train').glob('*/*.png')).unlink()

    assert make_demo_data.main(['--out', str(out), '--size', '8']) == 1
    assert 'missing files' in capsys.readouterr().err


def test_a_folder_not_written_by_the_tool_is_left_alone(tmp_path, capsys):
    out = tmp_path / 'mine'
    out.mkdir()
    (out / 'precious.txt').write_text('keep me')

    assert make_demo_data.main(['--out', str(out)]) == 1

    assert 'not written by this tool' in capsys.readouterr().err
    assert (out / 'precious.txt').read_text() == 'keep me'


def test_an_interrupted_run_leaves_no_tree_behind(tmp_path, monkeypatch):
    def fail_halfway(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(make_demo_data, 'digit_to_image', fail_halfway)

    with pytest.raises(KeyboardInterrupt):
        make_demo_data.main(['--out', str(tmp_path / 'digits'), '--size', '8'])

    assert list(tmp_path.iterdir()) == []


def test_help_explains_the_tool():
    completed = subprocess.run([sys.executable, str(TOOL), '--help'], capture_output=True, text=True,
                               check=True)

    assert 'load_digits' in completed.stdout and '--val-fraction' in completed.stdout
