"""Classifiers: mmengine models that tie a backbone, a head and a data preprocessor together."""
from .image_classifier import ImageClassifier

__all__ = ['ImageClassifier']
