"""AutoPrecisionHook: amp_dtype='auto' resolved by timing the model in fp32 and bf16, without touching its state;
the decision kept by a resumed run."""
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub

from adaptcls.engine.hooks import AutoPrecisionHook
from adaptcls.optim import SAMOptimWrapper
from adaptcls.registry import MODELS, adaptcls_scope

MODEL = dict(type='ImageClassifier',
             backbone=dict(type='TimmBackbone', model_name='mobilenetv3_small_050', pretrained=False),
             head=dict(type='LinearClsHead', num_classes=3, in_channels=1024, dropout=0.2))
CFG = Config(dict(test_dataloader=dict(dataset=dict(pipeline=[dict(type='LoadImage'), dict(type='Resize', size=32)]))))


def fake_runner(amp_dtype='auto'):
    torch.manual_seed(0)
    with adaptcls_scope():
        model = MODELS.build(MODEL)
    model.train()
    wrapper = SAMOptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1), amp_dtype=amp_dtype)
    return SimpleNamespace(model=model, optim_wrapper=wrapper, cfg=CFG,
                           message_hub=MessageHub.get_instance('auto_precision_test'))


@pytest.mark.parametrize('min_speedup, chosen', [(0.0, 'bfloat16'), (1e9, 'float32')])
def test_the_probe_chooses_by_the_measured_speedup_and_leaves_the_model_as_it_was(min_speedup, chosen):
    runner = fake_runner()
    state = {key: value.clone() for key, value in runner.model.state_dict().items()}
    rng = torch.get_rng_state()
    AutoPrecisionHook(probe_batch=2, probe_steps=1, min_speedup=min_speedup).before_train(runner)
    assert runner.optim_wrapper.amp_dtype == (torch.bfloat16 if chosen == 'bfloat16' else None)
    decision = runner.message_hub.get_info('summary/precision_probe')
    assert decision['chosen'] == chosen and decision['fp32_ms'] > 0 and decision['bf16_ms'] > 0
    for key, value in runner.model.state_dict().items():
        assert torch.equal(value, state[key]), key  # weights and BatchNorm statistics
    assert all(param.grad is None for param in runner.model.parameters())
    assert torch.equal(torch.get_rng_state(), rng)


def test_a_resumed_run_keeps_the_decision_without_probing(monkeypatch):
    first = AutoPrecisionHook(probe_batch=2, probe_steps=1, min_speedup=0.0)
    first.before_train(fake_runner())
    checkpoint = {}
    first.before_save_checkpoint(None, checkpoint)
    resumed, runner = AutoPrecisionHook(min_speedup=1e9), fake_runner()
    monkeypatch.setattr(resumed, 'probe', lambda runner: pytest.fail('probed again'))
    resumed.after_load_checkpoint(runner, checkpoint)
    resumed.before_train(runner)
    assert runner.optim_wrapper.amp_dtype == torch.bfloat16


def test_an_explicit_precision_is_left_alone(monkeypatch):
    runner, hook = fake_runner(amp_dtype=None), AutoPrecisionHook()
    monkeypatch.setattr(hook, 'probe', lambda runner: pytest.fail('probed'))
    hook.before_train(runner)
    assert runner.optim_wrapper.amp_dtype is None
