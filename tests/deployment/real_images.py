"""Validation images of the shared digits export, with PyTorch's logits on them."""
import numpy as np

from adaptcls.deployment.dataset_images import config_split, evenly_spaced, load_images
from adaptcls.deployment.export.model_loader import deploy_module, load_classifier
from adaptcls.deployment.export.verification import normalise, torch_logits
from tests.deployment.shared_model import INPUT_SIZE

_cache = {}


def pytorch_on_val(exported: dict, count: int = 200) -> dict:
    """``count`` validation images (uint8 NHWC), labels, normalised inputs and PyTorch logits."""
    if count not in _cache:
        loaded = load_classifier(exported['config'], exported['checkpoint'], exported['data_root'])
        val_set = config_split(loaded.cfg, 'val_dataloader', (INPUT_SIZE, INPUT_SIZE))
        images, labels = load_images(val_set, evenly_spaced(len(val_set), count))
        inputs = normalise(loaded.model.data_preprocessor, images)
        _cache[count] = dict(images=images, labels=labels, inputs=inputs, classes=loaded.classes,
                             logits=torch_logits(deploy_module(loaded.model), inputs),
                             paths=[val_set.get_data_info(int(i))['img_path']
                                    for i in evenly_spaced(len(val_set), count)])
    return _cache[count]


def agreement(a: np.ndarray, b: np.ndarray) -> float:
    return float((a.argmax(1) == b.argmax(1)).mean())
