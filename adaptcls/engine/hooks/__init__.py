"""Training hooks."""
from .data_consistency_hook import DataConsistencyHook
from .run_summary_hook import RunSummaryHook

__all__ = ['DataConsistencyHook', 'RunSummaryHook']
