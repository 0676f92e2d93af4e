"""channels_last=True: NHWC weights and batches, the same outputs and checkpoint keys as the default layout."""
import torch

from adaptcls.registry import MODELS, adaptcls_scope

MODEL = dict(type='ImageClassifier',
             backbone=dict(type='TimmBackbone', model_name='mobilenetv3_small_050', pretrained=False),
             head=dict(type='LinearClsHead', num_classes=3, in_channels=1024))


def _build(**extra):
    torch.manual_seed(0)
    with adaptcls_scope():
        return MODELS.build(dict(MODEL, **extra)).eval()


def test_weights_and_batches_are_nhwc_and_the_outputs_unchanged():
    default, nhwc = _build(), _build(channels_last=True)
    convs = [param for param in nhwc.parameters() if param.dim() == 4]
    assert convs and all(param.is_contiguous(memory_format=torch.channels_last) for param in convs)
    assert not all(param.is_contiguous(memory_format=torch.channels_last)
                   for param in default.parameters() if param.dim() == 4 and param.shape[-1] > 1)
    batch = dict(inputs=[torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8) for _ in range(2)])
    inputs = nhwc.data_preprocessor(batch)['inputs']
    assert inputs.is_contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        torch.testing.assert_close(nhwc(inputs), default(default.data_preprocessor(batch)['inputs']),
                                   atol=1e-5, rtol=1e-4)


def test_checkpoints_keep_their_keys_and_values():
    default, nhwc = _build(), _build(channels_last=True)
    assert default.state_dict().keys() == nhwc.state_dict().keys()
    for key, value in default.state_dict().items():
        assert torch.equal(value, nhwc.state_dict()[key]), key
    default.load_state_dict(nhwc.state_dict())  # loads across layouts


def test_mutual_learning_takes_it_too():
    student = dict(backbone=MODEL['backbone'], head=MODEL['head'])
    with adaptcls_scope():
        model = MODELS.build(dict(type='MutualLearningClassifier', fast=student, slow=dict(student),
                                  channels_last=True))
    assert model.data_preprocessor.channels_last
    assert all(param.is_contiguous(memory_format=torch.channels_last) for param in model.parameters()
               if param.dim() == 4)
