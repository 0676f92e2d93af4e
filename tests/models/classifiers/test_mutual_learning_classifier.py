"""Tests of MutualLearningClassifier: the Deep Mutual Learning losses, training step and deployment."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import OptimWrapper
from torch import nn

from adaptcls.models.classifiers import MutualLearningClassifier
from adaptcls.registry import MODELS
from adaptcls.structures import ClsDataSample

NUM_CLASSES, CHANNELS = 3, 4
LABELS = [0, 2, 1, 2]


class TinyBackbone(nn.Module):
    """Average pooling and one linear layer: ``forward(x) -> ((N, CHANNELS),)``."""

    out_channels = CHANNELS

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(3, CHANNELS)

    def forward(self, inputs):
        return (self.proj(inputs.mean(dim=(2, 3))), )


def _model(kl_weight=1.0):
    torch.manual_seed(0)
    return MutualLearningClassifier(
        fast=dict(backbone=TinyBackbone(),
                  head=dict(type='LinearClsHead', num_classes=NUM_CLASSES, in_channels=CHANNELS)),
        slow=dict(backbone=TinyBackbone(),
                  head=dict(type='AMSoftmaxHead', num_classes=NUM_CLASSES, in_channels=CHANNELS)),
        kl_weight=kl_weight)


def _inputs():
    return torch.randn(len(LABELS), 3, 8, 8, generator=torch.Generator().manual_seed(1))


def _samples():
    return [ClsDataSample().set_gt_label(label) for label in LABELS]


def _batch():
    generator = torch.Generator().manual_seed(0)
    images = [torch.randint(0, 256, (3, 8, 8), dtype=torch.uint8, generator=generator) for _ in LABELS]
    return dict(inputs=images, data_samples=_samples())


def _fast_logits_by_hand(model, inputs):
    pooled = inputs.mean(dim=(2, 3))
    backbone, head = model.fast.backbone.proj, model.fast.head.fc
    return (pooled @ backbone.weight.T + backbone.bias) @ head.weight.T + head.bias


def _slow_cosine_by_hand(model, inputs):
    backbone, weight = model.slow.backbone.proj, model.slow.head.fc.weight
    feats = inputs.mean(dim=(2, 3)) @ backbone.weight.T + backbone.bias
    return (feats / feats.norm(dim=1, keepdim=True)) @ (weight / weight.norm(dim=1, keepdim=True)).T


def _kl_by_hand(target_logits, logits):
    """KL(softmax(target) || softmax(logits)): sum over classes, mean over samples."""
    target = target_logits.softmax(dim=1)
    return (target * (target.log() - logits.softmax(dim=1).log())).sum(dim=1).mean()


@pytest.mark.parametrize('kl_weight', [1.0, 0.5])
def test_losses_follow_deep_mutual_learning_by_hand(kl_weight):
    model = _model(kl_weight)
    inputs, labels = _inputs(), torch.tensor(LABELS)
    losses = model(inputs, _samples(), mode='loss')
    rows = range(len(LABELS))
    fast_logits = _fast_logits_by_hand(model, inputs)
    cosine = _slow_cosine_by_hand(model, inputs)
    scale, margin = model.slow.head.scale, model.slow.head.margin
    margin_logits = scale * (cosine - margin * F.one_hot(labels, NUM_CLASSES))
    expected = {
        'loss_fast_cls': (-fast_logits.log_softmax(dim=1)[rows, labels]).mean(),
        'loss_fast_kl': kl_weight * _kl_by_hand(scale * cosine, fast_logits),
        'loss_slow_cls': (-margin_logits.log_softmax(dim=1)[rows, labels]).mean(),
        'loss_slow_kl': kl_weight * _kl_by_hand(fast_logits, scale * cosine),
    }
    assert set(losses) == set(expected)
    for key, value in expected.items():
        assert losses[key].item() == pytest.approx(value.item(), rel=1e-5), key
    assert losses['loss_fast_kl'].item() > 1e-3 and losses['loss_slow_kl'].item() > 1e-3


@pytest.mark.parametrize('term, learner, target', [('loss_fast_kl', 'fast', 'slow'),
                                                   ('loss_slow_kl', 'slow', 'fast')])
def test_kl_gradient_reaches_only_the_learning_student(term, learner, target):
    model = _model()
    model(_inputs(), _samples(), mode='loss')[term].backward()
    assert all(param.grad is not None and param.grad.abs().sum() > 0
               for param in getattr(model, learner).parameters())
    assert all(param.grad is None for param in getattr(model, target).parameters())


def test_train_step_updates_both_students_and_logs_every_term():
    model = _model().train()
    before = {name: param.detach().clone() for name, param in model.named_parameters()}
    log_vars = model.train_step(_batch(), OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.5)))
    assert set(log_vars) == {'loss', 'loss_fast_cls', 'loss_fast_kl', 'loss_slow_cls', 'loss_slow_kl'}
    terms = sum(value.item() for key, value in log_vars.items() if key != 'loss')
    assert log_vars['loss'].item() == pytest.approx(terms, rel=1e-5)
    assert set(before) == {'fast.backbone.proj.weight', 'fast.backbone.proj.bias', 'fast.head.fc.weight',
                           'fast.head.fc.bias', 'slow.backbone.proj.weight', 'slow.backbone.proj.bias',
                           'slow.head.fc.weight'}
    for name, param in model.named_parameters():
        assert not torch.equal(param, before[name]), name


def test_both_students_get_one_preprocessed_batch():
    model = _model().train()
    seen, preprocessor_calls = {}, []
    model.data_preprocessor.register_forward_hook(lambda *args: preprocessor_calls.append(1))
    for name in ('fast', 'slow'):
        getattr(model, name).backbone.register_forward_pre_hook(
            lambda module, args, name=name: seen.update({name: args[0]}))
    model.train_step(_batch(), OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1)))
    assert len(preprocessor_calls) == 1
    assert seen['fast'] is seen['slow']


def test_tensor_mode_predict_and_deploy_model_use_the_fast_student():
    model = _model().eval()
    inputs = _inputs()
    expected = _fast_logits_by_hand(model, inputs)
    with torch.no_grad():
        assert torch.allclose(model(inputs, mode='tensor'), expected, atol=1e-6)
        deploy_model = model.deploy_model()
        assert torch.allclose(deploy_model(inputs), expected, atol=1e-6)
        predictions = model(inputs, _samples(), mode='predict')
    assert not any(name.startswith('slow') for name in deploy_model.state_dict())
    for row, sample in zip(expected, predictions):
        assert torch.allclose(sample.pred_score, row.softmax(dim=0), atol=1e-6)


def test_state_dict_holds_both_students():
    model = _model()
    state_dict = model.state_dict()
    assert {'fast.head.fc.weight', 'slow.head.fc.weight', 'slow.backbone.proj.weight'} <= set(state_dict)
    other = _model()
    with torch.no_grad():
        other.slow.head.fc.weight.zero_()
    other.load_state_dict(state_dict)
    assert torch.equal(other.slow.head.fc.weight, model.slow.head.fc.weight)


def test_timm_students_from_config_train_and_initialise():
    student = dict(backbone=dict(type='TimmBackbone', model_name='mobilenetv3_small_050'))
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='MutualLearningClassifier',
        fast=dict(student, head=dict(type='LinearClsHead', num_classes=NUM_CLASSES, in_channels=1024)),
        slow=dict(student, head=dict(type='AMSoftmaxHead', num_classes=NUM_CLASSES, in_channels=1024))))
    assert model.num_classes == NUM_CLASSES and model.pretrained_source == 'none'
    model.init_weights()  # reaches the heads through the students: LinearClsHead draws N(0, 0.01)
    assert model.fast.head.fc.weight.std().item() == pytest.approx(0.01, rel=0.15)
    generator = torch.Generator().manual_seed(0)
    batch = dict(inputs=[torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8, generator=generator)
                         for _ in range(4)],
                 data_samples=[ClsDataSample().set_gt_label(index % NUM_CLASSES) for index in range(4)])
    slow_before = model.slow.backbone.model.conv_stem.weight.detach().clone()
    log_vars = model.train_step(batch, OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1)))
    assert torch.isfinite(log_vars['loss'])
    assert not torch.equal(model.slow.backbone.model.conv_stem.weight, slow_before)


@pytest.mark.parametrize('change, message', [
    (dict(slow_classes=4), 'the fast head has 3 classes and the slow head 4'),
    (dict(drop='head'), r"model.slow must be dict\(backbone=..., head=...\); missing \['head'\]"),
    (dict(kl_weight=-1.0), 'kl_weight must be at least 0'),
])
def test_bad_configs_are_reported(change, message):
    slow = dict(backbone=TinyBackbone(), head=dict(type='AMSoftmaxHead', in_channels=CHANNELS,
                                                   num_classes=change.get('slow_classes', NUM_CLASSES)))
    slow.pop(change.get('drop', 'none'), None)
    with pytest.raises(ValueError, match=message):
        MutualLearningClassifier(
            fast=dict(backbone=TinyBackbone(),
                      head=dict(type='LinearClsHead', num_classes=NUM_CLASSES, in_channels=CHANNELS)),
            slow=slow, kl_weight=change.get('kl_weight', 1.0))


def test_unknown_mode_is_reported():
    with pytest.raises(ValueError, match='unknown mode "logits"'):
        _model()(_inputs(), mode='logits')
