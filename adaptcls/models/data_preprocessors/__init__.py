"""Data preprocessors: turn a collated batch into model inputs."""
from .cls_data_preprocessor import ClsDataPreprocessor

__all__ = ['ClsDataPreprocessor']
