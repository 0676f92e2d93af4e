"""Train loops and the runner with a concise console."""
from .concise_console import ConciseConsoleRunner, build_runner
from .resumable_epoch_loop import VALIDATED_EPOCH_KEY, ResumableEpochBasedTrainLoop

__all__ = ['ConciseConsoleRunner', 'build_runner', 'VALIDATED_EPOCH_KEY', 'ResumableEpochBasedTrainLoop']
