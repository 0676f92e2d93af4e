"""Classifiers: mmengine models that tie a backbone, a head and a data preprocessor together."""
from .backbone_head import BackboneHead
from .image_classifier import ImageClassifier
from .mutual_learning_classifier import MutualLearningClassifier
from .utils import build_module

__all__ = ['BackboneHead', 'ImageClassifier', 'MutualLearningClassifier', 'build_module']
