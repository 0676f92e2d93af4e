"""Training hooks."""
from .data_consistency_hook import DataConsistencyHook
from .reduce_lr_on_plateau_v2 import ReduceLROnPlateauV2
from .run_summary_hook import RunSummaryHook

__all__ = ['DataConsistencyHook', 'ReduceLROnPlateauV2', 'RunSummaryHook']
