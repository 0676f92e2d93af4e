"""Random generator states in every checkpoint, so a resumed run draws the same augmentations."""
from typing import List, Optional, Tuple

from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.hooks import Hook

from adaptcls.registry import HOOKS
from adaptcls.utils.random_state import capture_random_state, restore_random_state

STATE_KEY = 'random_state'
"""The checkpoint entry: a list with one ``capture_random_state()`` result per rank."""


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Saves the global random generators (Python, numpy, torch CPU/CUDA) in every checkpoint and
    puts them back when training resumes from it.

    ``Runner.resume`` restores weights, optimizer, schedulers, message hub and hook state, but the
    generators restart from the seed, so the augmentations (AugMix, random crop/flip/rotate) and
    dropout masks after a resume differ from the uninterrupted run's. The data order does not need
    this hook: ``DefaultSampler`` shuffles with ``seed + epoch``.

    When: one process captures its generators at the moment the checkpoint is written. In a
    multi-process run only rank 0 writes checkpoints, so every rank captures (one ``all_gather``)
    at the two points where ``CheckpointHook`` saves in adaptcls configs, ``after_train_epoch``
    and ``after_val_epoch`` (priority 88, just before ``CheckpointHook`` at VERY_LOW = 90); a
    checkpoint written at another iteration then holds rank 0's state only. The states are put
    back in ``before_train`` of a resumed run (the loaded checkpoint's iteration is the runner's),
    after ``Runner.resume`` has re-seeded, and not for ``load_from`` (weights only). Each rank
    takes its own state; if the number of processes changed, the generators keep the seed's
    state and a warning says the run is not an exact continuation.

    Exactness needs the generators to be the only source of randomness: ``num_workers=0`` or
    ``persistent_workers=False`` (non-persistent workers are re-seeded identically every epoch by
    mmengine's ``worker_init_fn``; persistent workers carry generator state this hook cannot see).
    """

    priority = 88

    def __init__(self) -> None:
        self._rank_states: List[dict] = []
        self._captured_iter: Optional[int] = None
        self._loaded: Optional[Tuple[int, List[dict]]] = None

    def after_train_epoch(self, runner) -> None:
        self._capture_all_ranks(runner)

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._capture_all_ranks(runner)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if get_world_size() > 1 and self._captured_iter == runner.iter:
            ranks = self._rank_states
        else:
            ranks = [capture_random_state()]
        checkpoint[STATE_KEY] = ranks

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if STATE_KEY in checkpoint:
            self._loaded = (checkpoint['meta']['iter'], checkpoint[STATE_KEY])

    def before_train(self, runner) -> None:
        loaded, self._loaded = self._loaded, None
        if loaded is None or runner.iter == 0 or loaded[0] != runner.iter:
            return  # a fresh run, or load_from: the seed alone decides
        ranks = loaded[1]
        world_size = get_world_size()
        if len(ranks) != world_size:
            runner.logger.warning(
                f'RandomStateHook: the checkpoint holds the random state of {len(ranks)} '
                f'process(es) and this run has {world_size}; the random generators restart from the '
                'seed, so augmentations differ from an uninterrupted run.')
            return
        try:
            restore_random_state(ranks[get_rank()])
        except ValueError as error:
            runner.logger.warning(f'RandomStateHook: random state not restored: {error}')

    def _capture_all_ranks(self, runner) -> None:
        if get_world_size() > 1:
            self._rank_states = all_gather_object(capture_random_state())
            self._captured_iter = runner.iter
