"""Training hooks."""
from .atomic_checkpoint_hook import AtomicCheckpointHook
from .auto_precision_hook import AutoPrecisionHook
from .data_consistency_hook import DataConsistencyHook
from .random_state_hook import RandomStateHook
from .reduce_lr_on_plateau_v2 import ReduceLROnPlateauV2
from .run_summary_hook import RunSummaryHook
from .time_budget_hook import TimeBudgetHook

__all__ = ['AtomicCheckpointHook', 'AutoPrecisionHook', 'DataConsistencyHook', 'RandomStateHook', 'ReduceLROnPlateauV2',
           'RunSummaryHook', 'TimeBudgetHook']
