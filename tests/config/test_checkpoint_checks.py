"""check_weights_fit and condense_load_error: weights that do not fit are named with both shapes and the cause."""
import pytest
from torch import nn

from adaptcls.config.checkpoint_checks import CheckpointMismatchError, check_weights_fit, condense_load_error


def _classifier(width=4, classes=3):
    model = nn.Module()
    model.backbone = nn.Linear(2, width)
    model.head = nn.Module()
    model.head.fc = nn.Linear(width, classes)
    return model


def test_a_checkpoint_of_another_class_count_names_the_head_shapes_and_the_data():
    with pytest.raises(CheckpointMismatchError) as error:
        check_weights_fit(_classifier(), _classifier(classes=4).state_dict(), 'run/best.pth', 'configs/c.py')
    assert str(error.value) == (
        'checkpoint "run/best.pth" does not fit the model of configs/c.py: weights of other shapes: 2 (head.fc.weight: '
        'checkpoint (4, 4), model (3, 4); head.fc.bias: checkpoint (4,), model (3,)); only the classifier head '
        'differs: the checkpoint predicts 4 classes and this model 3, so it was trained on data with another class '
        'count; use it with the data it was trained on (the same class folders), or train a model for this data.')


def test_a_checkpoint_of_another_backbone_names_the_config():
    with pytest.raises(CheckpointMismatchError, match=r'backbone.weight: checkpoint \(8, 2\), model \(4, 2\).*'
                                                      r'another model \(backbone or head\) than configs/c.py'):
        check_weights_fit(_classifier(), _classifier(width=8).state_dict(), 'run/best.pth', 'configs/c.py')


def test_a_wrapped_model_is_compared_without_its_wrapper():
    from mmengine.model import MMDistributedDataParallel  # a registered model wrapper; not instantiated

    class Wrapper(MMDistributedDataParallel):
        def __init__(self, module):  # noqa: D107 -- skips DDP's process group
            nn.Module.__init__(self)
            self.module = module
    check_weights_fit(Wrapper(_classifier()), _classifier().state_dict(), 'run/best.pth', 'configs/c.py')


def test_a_failed_strict_load_in_a_message_becomes_one_line():
    with pytest.raises(RuntimeError) as error:
        _classifier().load_state_dict(_classifier(width=8).state_dict())
    message = condense_load_error(f'Checkpoint "x.pth" does not match the model of config "c.py": {error.value}. '
                                  'Pass the config it was trained with.')
    assert message == ('Checkpoint "x.pth" does not match the model of config "c.py": weights of other shapes: 3 '
                       '(backbone.weight: checkpoint (8, 2), model (4, 2); backbone.bias: checkpoint (8,), model (4,); '
                       'head.fc.weight: checkpoint (3, 8), model (3, 4)). Pass the config it was trained with.')
    assert condense_load_error('no such text') == 'no such text'
