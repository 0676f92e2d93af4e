"""Train loops."""
from .resumable_epoch_loop import VALIDATED_EPOCH_KEY, ResumableEpochBasedTrainLoop

__all__ = ['VALIDATED_EPOCH_KEY', 'ResumableEpochBasedTrainLoop']
