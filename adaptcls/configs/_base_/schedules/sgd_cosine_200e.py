# Baseline schedule (recipe.md, "Baseline recipe"): SGD with momentum, fixed initial LR, cosine annealing
# to zero over 200 epochs. Model configs set optim_wrapper.optimizer.lr (MobileNetV3 0.013, EfficientNet 0.003).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.013, momentum=0.9, weight_decay=5e-4),
    # Without a paramwise_cfg there is one parameter group; a config that adds one gets a group per set of
    # hyper-parameters, as in sam_plateau_v2.py, instead of mmengine's one per parameter.
    constructor='MergedGroupsOptimWrapperConstructor',
)
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=200, eta_min=0.0, by_epoch=True, begin=0, end=200,
         convert_to_iter_based=True),
]
# The loop re-runs a validation that a kill made a resumed run miss (docs/reliability.md).
train_cfg = dict(type='ResumableEpochBasedTrainLoop', max_epochs=200, val_interval=1)
val_cfg = dict()
test_cfg = dict()
# Linear LR scaling (Bag of Tricks): lr = base_lr * total_batch / base_batch_size.
auto_scale_lr = dict(enable=True, base_batch_size=64)
