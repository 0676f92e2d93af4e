"""Values of config keys that the command-line options offer (in their ``--help`` too): a module without heavy
imports, so that ``adaptcls train --help`` answers at once."""

BALANCE_MODES = ('sampler', 'loss')
"""``class_balance`` values: ``'sampler'`` draws every class equally often (``ClassBalancedSampler``), ``'loss'``
weights each class's cross-entropy by scikit-learn's "balanced" weight ``n / (C * count_c)``; None (the default):
neither."""
DATA_SPLIT_DEFAULTS = dict(val_fraction=0.2, seed=0)
"""``data_split``: the share of each class's images held out for validation when the data root has no validation
split (fastai's ``valid_pct`` default 0.2), and the seed of that split."""

DURATION_UNITS = {'s': 1, 'm': 60, 'h': 3600}
"""Units of a ``--time-limit`` duration: seconds, minutes, hours (``90s``, ``30m``, ``2h``, ``1h30m``)."""
LR_ESTIMATE_SHARE = 0.25
"""With ``--time-limit``, the share of the limit the LR range test may take (``lr_search.range_test_max_seconds``):
a test projected to take longer stops after its first iterations and training uses the config's lr. On a 500-image
set the test is 2.1 epochs; a limit that allows 9 or more epochs leaves it whole."""
EXPORT_RESERVE_SHARE = 0.1
"""With ``--time-limit`` and ``--export``, the share of the limit kept for the export (evaluation, ONNX, FP32 and
INT8 IR, the latency table): training ends by the rest of it. docs/benchmarks.md ("Time limits") measures what the
export took."""


def parse_duration(text: str) -> float:
    """Seconds of a duration such as ``90s``, ``30m``, ``2h`` or ``1h30m`` (a unit is required: a bare ``30`` could
    mean seconds or minutes).

    Raises:
        ValueError: not a positive duration; the message shows the accepted forms.
    """
    import re
    value = text.strip().lower()
    parts = re.findall(r'(\d+(?:\.\d+)?)([smh])', value)
    if not parts or ''.join(number + unit for number, unit in parts) != value:
        raise ValueError(f'"{text}" is not a duration: use e.g. 90s, 30m, 2h or 1h30m (a unit is required)')
    seconds = sum(float(number) * DURATION_UNITS[unit] for number, unit in parts)
    if seconds <= 0:
        raise ValueError(f'"{text}": a time limit must be longer than 0 s')
    return seconds
