"""Data structures shared by datasets, models and metrics."""
from .cls_data_sample import ClsDataSample, to_label_tensor

__all__ = ['ClsDataSample', 'to_label_tensor']
