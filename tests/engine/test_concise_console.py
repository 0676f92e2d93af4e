"""The concise console leaves mmengine's set-up records to the log file: each message start it filters is still
one that mmengine writes (an mmengine upgrade that rewords one fails here, to re-check the list), and the filter
drops those records and nothing else."""
import logging
import os

import mmengine
import pytest

from adaptcls.engine.runner.concise_console import SETUP_MESSAGE_PREFIXES, SetupRecordFilter


def _mmengine_source() -> str:
    texts = []
    for folder, _, files in os.walk(os.path.dirname(mmengine.__file__)):
        for name in files:
            if name.endswith('.py'):
                with open(os.path.join(folder, name), encoding='utf-8') as stream:
                    texts.append(stream.read())
    return '\n'.join(texts)


@pytest.mark.parametrize('prefix', SETUP_MESSAGE_PREFIXES)
def test_every_filtered_message_is_one_mmengine_writes(prefix):
    distinctive = prefix.replace('\n' + '-' * 60 + '\n', '').replace('\n', '\\n')
    assert distinctive in _mmengine_source()


def test_the_filter_drops_set_up_records_only():
    def record(message, level=logging.INFO):
        return logging.LogRecord('mmengine', level, __file__, 1, message, None, None)
    keep = SetupRecordFilter().filter
    assert not keep(record('Config:\nmodel = dict()'))
    assert not keep(record('paramwise_options -- backbone.bn.bias:lr=0.02'))
    assert keep(record('Epoch(train) [1][1/8]  lr: 1.0e-03'))
    assert keep(record('Config:\nbroken', level=logging.ERROR))  # errors always reach the console
