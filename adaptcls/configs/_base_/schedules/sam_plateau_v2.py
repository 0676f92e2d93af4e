# The adaptive schedule (recipe.md "Optimisation" and "Schedule"):
# SAM over SGD with momentum, no bias decay and 2x bias LR; ReduceLROnPlateauV2 owns the lr after its initial value:
# 2 warmup epochs (lr/10 -> lr), drops driven by val top-1, one forced drop at 75% of max_epochs, and early stopping
# once the LR is at its minimum and val top-1 has stopped improving. Model configs set the initial LR.
# Where these defaults differ from the paper's (warmup 5, train-loss monitor, patience 5, early-stop patience 5,
# min lr = lr/200), docs/recipe.md gives the paper's value and the measurement behind ours.
optim_wrapper = dict(
    type='SAMOptimWrapper',
    rho=0.05,  # SAM neighbourhood radius (Foret et al. 2021)
    adaptive=False,  # True: ASAM (Kwon et al. 2021)
    optimizer=dict(type='SGD', lr=0.013, momentum=0.9, weight_decay=5e-4),
    # Bag of Tricks "no bias decay" + 2x bias LR (paper, Table 9): every bias (conv, linear and norm layers, as
    # the paper's code did) lr x2 and no decay; norm-layer weights no decay. A custom key, because mmengine's
    # bias_lr_mult skips norm-layer biases, and EfficientNet-Lite0 has no other biases.
    paramwise_cfg=dict(custom_keys={'.bias': dict(lr_mult=2.0, decay_mult=0.0)}, norm_decay_mult=0.0),
    # One parameter group per set of hyper-parameters (3 here) instead of mmengine's one per parameter (148-347): the
    # same update, a faster step (benchmarks/results/param_groups.json). Checkpoints of the per-parameter groups still
    # resume; 'DefaultOptimWrapperConstructor' builds those again (docs/configs.md).
    constructor='MergedGroupsOptimWrapperConstructor',
)
# No param_scheduler: the ReduceLROnPlateauV2 hook owns the lr after its initial value (warmup, drops, floors, early
# stopping), as timm's PlateauLRScheduler does; an lr param scheduler beside it is refused.
custom_hooks = [
    dict(
        type='ReduceLROnPlateauV2',
        warmup_epochs=2,  # linear warmup from lr/10 to lr, updated every iteration (the paper: 5 epochs)
        warmup_start_factor=0.1,
        # Val top-1 drives the drops (later upstream versions; the paper: the mean train loss, which on small data
        # sets under AugMix + SAM kept falling for 24 of 24 epochs, so no drop and no early stop ever came).
        monitor='top1',
        factor=0.1,
        patience=2,  # evaluations without improvement tolerated (the paper: 5)
        threshold=2e-4,  # relative improvement needed
        min_lr_ratio=1 / 100,  # min lr of each param group = its initial lr / 100: two drops (the paper: 1/200)
        forced_drop_ratio=0.75,  # force one drop at 75% of max_epochs if none happened
        early_stop_metric='top1',
        early_stop_patience=2,  # evaluations of epochs trained at min lr without a new best val top-1 (the paper: 5)
    ),
]
# The loop re-runs a validation that a kill made a resumed run miss (docs/reliability.md).
train_cfg = dict(type='ResumableEpochBasedTrainLoop', max_epochs=200, val_interval=1)
val_cfg = dict()
test_cfg = dict()
# Linear LR scaling (Bag of Tricks): lr = base_lr * total_batch / base_batch_size.
auto_scale_lr = dict(enable=True, base_batch_size=64)
