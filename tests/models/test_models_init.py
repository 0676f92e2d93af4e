"""adaptcls.models exports every model component it registers."""
import adaptcls.models as models
from adaptcls.registry import MODELS


def test_every_registered_model_component_is_exported():
    # Only adaptcls's own classes: other tests register throw-away modules into the same registry.
    registered = {name for name, cls in MODELS.module_dict.items() if cls.__module__.startswith('adaptcls.')}
    assert registered <= set(models.__all__), sorted(registered - set(models.__all__))


def test_batch_augments_are_exported():
    assert {'MixUp', 'CutMix', 'RandomBatchAugment'} <= set(models.__all__)


def test_every_exported_name_exists_once():
    assert len(models.__all__) == len(set(models.__all__))
    for name in models.__all__:
        assert hasattr(models, name), name
