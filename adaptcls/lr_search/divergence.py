"""How the LR search words a learning rate whose training loss became NaN or infinite.

Training raises :class:`~adaptcls.optim.non_finite_loss.NonFiniteLossError` before
a non-finite loss is back-propagated. In the search that is a result, not a crash: a TPE/grid
trial whose lr diverged is pruned, and the range test stops its sweep there. Only when nothing
of the range could be measured is it an error, and then the fix is a lower range.
"""
from typing import Optional

from adaptcls.optim.non_finite_loss import NonFiniteLossError

LOWER_RANGE_FACTOR = 0.1
"""When the loss diverged at the low end of the range, the errors suggest a range this many times
lower (one order of magnitude)."""


def divergence_cause(error: NonFiniteLossError) -> str:
    """The first sentence of the error: where training stopped and which loss was not finite
    (the rest of its message is advice for a training run, not for a search)."""
    return str(error).split('. ')[0]


def lower_range_hint(low: float, high: Optional[float] = None) -> str:
    """``--range`` advice for a range whose low end ``low`` already diverges.

    Args:
        low (float): the low end of the searched range.
        high (float, optional): its high end. Defaults to None: the advice says ``HIGH``.
    """
    new_high = 'HIGH' if high is None else f'{high * LOWER_RANGE_FACTOR:g}'
    return (f'search a lower range, e.g. --range {low * LOWER_RANGE_FACTOR:g} {new_high} '
            '(or set lr_search.lr_range in the config)')
