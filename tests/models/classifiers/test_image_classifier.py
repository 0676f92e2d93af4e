"""Tests of ImageClassifier: forward modes and one training step."""
import pytest
import torch
from mmengine.optim import OptimWrapper

from adaptcls.models.data_preprocessors import ClsDataPreprocessor
from adaptcls.registry import MODELS
from adaptcls.structures import ClsDataSample

NUM_CLASSES = 3


def _model():
    torch.manual_seed(0)
    return MODELS.build(dict(
        type='ImageClassifier',
        backbone=dict(type='TimmBackbone', model_name='mobilenetv3_small_050'),
        head=dict(type='LinearClsHead', num_classes=NUM_CLASSES, in_channels=1024)))


def _batch(size=2):
    generator = torch.Generator().manual_seed(0)
    images = [torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8, generator=generator)
              for _ in range(size)]
    samples = [ClsDataSample().set_gt_label(index % NUM_CLASSES) for index in range(size)]
    return dict(inputs=images, data_samples=samples)


def test_defaults_and_properties():
    model = _model()
    assert isinstance(model.data_preprocessor, ClsDataPreprocessor)
    assert model.num_classes == NUM_CLASSES
    assert model.pretrained_source == 'none'


def test_forward_modes():
    model = _model().eval()
    data = model.data_preprocessor(_batch())
    with torch.no_grad():
        logits = model(data['inputs'], mode='tensor')
        losses = model(**data, mode='loss')
        predictions = model(**data, mode='predict')
    assert logits.shape == (2, NUM_CLASSES)
    assert set(losses) == {'loss'} and losses['loss'].dim() == 0
    assert len(predictions) == 2
    assert torch.allclose(predictions[0].pred_score, logits[0].softmax(dim=0))


def test_unknown_mode_is_reported():
    model = _model()
    with pytest.raises(ValueError, match="unknown mode \"logits\""):
        model(torch.zeros(1, 3, 32, 32), mode='logits')


def test_train_step_updates_weights_and_logs_loss():
    model = _model().train()
    optim_wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    before = model.head.fc.weight.detach().clone()
    backbone_before = model.backbone.model.conv_stem.weight.detach().clone()
    log_vars = model.train_step(_batch(4), optim_wrapper)
    assert set(log_vars) == {'loss'} and log_vars['loss'].item() > 0
    assert not torch.equal(model.head.fc.weight, before)
    assert not torch.equal(model.backbone.model.conv_stem.weight, backbone_before)


def test_train_step_preprocesses_once_for_a_closure_wrapper():
    """A SAM-like wrapper evaluates the loss twice on the same preprocessed batch."""
    model = _model().eval()  # fixed BN/dropout so that both passes must agree exactly
    calls = []

    class _TwiceWrapper(OptimWrapper):
        def step_with_closure(self, compute_loss):
            first = compute_loss()
            second = compute_loss()
            calls.append((first[0].item(), second[0].item()))
            return first[1]

    preprocessor_calls = []
    model.data_preprocessor.register_forward_hook(lambda *args: preprocessor_calls.append(1))
    log_vars = model.train_step(_batch(), _TwiceWrapper(torch.optim.SGD(model.parameters(), lr=0.1)))
    assert len(preprocessor_calls) == 1
    assert calls[0][0] == pytest.approx(calls[0][1])
    assert 'loss' in log_vars


def test_deploy_model_returns_the_tensor_mode_logits_and_shares_weights():
    model = _model().eval()
    inputs = model.data_preprocessor(_batch())['inputs']
    deploy_model = model.deploy_model()
    with torch.no_grad():
        assert torch.equal(deploy_model(inputs), model(inputs, mode='tensor'))
    assert deploy_model.head.fc.weight is model.head.fc.weight
    assert not any(name.startswith('data_preprocessor') for name in deploy_model.state_dict())
