"""DataConsistencyHook: train/val/test class lists and the model's num_classes must agree before any work."""
from types import SimpleNamespace

import pytest

from adaptcls.engine.hooks import DataConsistencyHook

CLASSES = ('cat', 'dog', 'fox')


def _dataset(classes, folder):
    # As mmengine leaves a built dataset: data_root already joined into data_prefix['img_path'].
    return SimpleNamespace(metainfo=dict(classes=tuple(classes)), data_root='/data',
                           data_prefix=dict(img_path=f'/data/{folder}'))


def _loop(classes, folder):
    return SimpleNamespace(dataloader=SimpleNamespace(dataset=_dataset(classes, folder)))


def _runner(train=CLASSES, val=CLASSES, test=CLASSES, num_classes=len(CLASSES), with_val=True):
    return SimpleNamespace(train_loop=_loop(train, 'train'), val_loop=_loop(val, 'val') if with_val else None,
                           test_loop=_loop(test, 'val'), model=SimpleNamespace(num_classes=num_classes))


def test_agreeing_data_and_model_pass():
    hook = DataConsistencyHook()
    hook.before_train(_runner())
    hook.before_train(_runner(with_val=False))
    hook.before_test(_runner())


def test_a_val_class_missing_from_train_names_both_folders():
    with pytest.raises(ValueError) as error:
        DataConsistencyHook().before_train(_runner(val=('cat', 'dog', 'owl')))
    message = str(error.value)
    assert 'train set at "/data/train"' in message and 'val set at "/data/val"' in message
    assert "['fox']" in message and "['owl']" in message


def test_the_same_classes_in_another_order_are_refused():
    with pytest.raises(ValueError, match="different order"):
        DataConsistencyHook().before_train(_runner(val=('dog', 'cat', 'fox')))


def test_a_model_with_another_number_of_classes_is_refused_with_the_fix():
    with pytest.raises(ValueError) as error:
        DataConsistencyHook().before_train(_runner(num_classes=5))
    message = str(error.value)
    assert 'predicts 5 classes' in message and 'has 3 (cat, dog, fox)' in message
    assert 'model.head.num_classes=3' in message


def test_testing_checks_the_test_set():
    with pytest.raises(ValueError, match='test set at "/data/val" has 2'):
        DataConsistencyHook().before_test(_runner(test=('cat', 'dog')))


def test_a_model_without_num_classes_is_not_checked():
    DataConsistencyHook().before_train(_runner(num_classes=None))
