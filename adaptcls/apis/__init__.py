"""adaptcls's public Python API: build a config, train it, load a trained model, classify images with it.

Example (classifying: :class:`Classifier`)::

    from adaptcls.apis import Classifier
    predictions = Classifier.from_checkpoint('work_dirs/run/best.pth').predict('photos/')

Example (training)::

    from adaptcls.apis import build_config, train
    from adaptcls.setup_env import init_entry_point

    init_entry_point()
    cfg = build_config('configs/effnet_lite0_adaptive.py', 'train', data_root='data/digits')
    summary = train(cfg)
"""
from adaptcls.config import build_config
from adaptcls.deployment.export.model_loader import LoadedClassifier, load_classifier
from .classifier import Classifier
from .inference import CheckpointClassifier
from .training import train
from .work_dir_guard import WorkDirInUseError, claim_work_dir

__all__ = ['build_config', 'Classifier', 'CheckpointClassifier', 'LoadedClassifier', 'load_classifier', 'train', 'WorkDirInUseError',
           'claim_work_dir']
