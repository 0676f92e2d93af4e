"""Values of config keys that the command-line options offer (in their ``--help`` too): a module without heavy
imports, so that ``adaptcls train --help`` answers at once."""

BALANCE_MODES = ('sampler', 'loss')
"""``class_balance`` values: ``'sampler'`` draws every class equally often (``ClassBalancedSampler``), ``'loss'``
weights each class's cross-entropy by scikit-learn's "balanced" weight ``n / (C * count_c)``; None (the default):
neither."""
DATA_SPLIT_DEFAULTS = dict(val_fraction=0.2, seed=0)
"""``data_split``: the share of each class's images held out for validation when the data root has no validation
split (fastai's ``valid_pct`` default 0.2), and the seed of that split."""
