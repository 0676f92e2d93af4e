"""An mmengine train loop that runs the LR range test instead of training."""
import math
from typing import Dict, Optional, Union

from mmengine.runner import EpochBasedTrainLoop
from torch import nn
from torch.utils.data import DataLoader

from adaptcls.registry import LOOPS
from .lr_range_sweep import LRRangeTest, RangeTestCurve


@LOOPS.register_module()
class LRRangeTestLoop(EpochBasedTrainLoop):
    """Runs :class:`~adaptcls.lr_search.lr_range_sweep.LRRangeTest` inside ``Runner.train()``.

    Going through the Runner gives the range test exactly what training gets: the model with
    its initial weights (``init_weights``, pretrained backbone), the config's optim wrapper
    (SAM included) with ``auto_scale_lr`` applied, the seeded training dataloader, DDP wrapping.
    ``before_train``/``after_train`` hooks run (e.g. the data-consistency check); no epoch or
    iteration hooks run, so nothing is logged per iteration, validated or checkpointed; the test
    prints one line per phase.
    The model leaves the loop with the weights it entered with; the curve is in :attr:`curve`.

    Use it as ``train_cfg = dict(type='LRRangeTestLoop', start_lr=..., end_lr=...)`` with
    ``param_scheduler=None`` (``tools/lr_search.py --mode range_test`` builds that config).

    Args:
        runner (Runner): the runner.
        dataloader (DataLoader | dict): the training dataloader or its config.
        start_lr (float): warm-up learning rate and first learning rate of the sweep.
        end_lr (float): last learning rate of the sweep.
        warmup_epochs (float): epochs of fine-tuning at ``start_lr`` (a fraction allowed). Defaults to 1.
        smooth_beta (float): EMA coefficient of the loss smoothing. Defaults to 0.98.
        diverge_factor (float): stop when the smoothed loss exceeds this multiple of its
            minimum. Defaults to 4.0.
        min_iterations (int): fewest sweep iterations; a shorter epoch is repeated.
            Defaults to 100.
        max_seconds (float, optional): the most the test may take (``RangeTestOverTime`` beyond). Defaults to None.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 start_lr: float,
                 end_lr: float,
                 warmup_epochs: float = 1,
                 smooth_beta: float = 0.98,
                 diverge_factor: float = 4.0,
                 min_iterations: int = 100,
                 max_seconds: Optional[float] = None) -> None:
        super().__init__(runner, dataloader, max_epochs=math.ceil(warmup_epochs) + 1)
        self.range_test = LRRangeTest(start_lr, end_lr, warmup_epochs, smooth_beta, diverge_factor,
                                      min_iterations, max_seconds=max_seconds)
        self.curve: Optional[RangeTestCurve] = None

    def run(self) -> nn.Module:
        """Runs the range test; the model is returned unchanged."""
        self.runner.call_hook('before_train')
        self.curve = self.range_test.run(self.runner.model, self.runner.optim_wrapper, self.dataloader)
        self.runner.call_hook('after_train')
        return self.runner.model
