# The `make demo` config: the EfficientNet-Lite0 adaptive recipe (effnet_lite0_adaptive.py: AM-Softmax head, SAM,
# warmup + ReduceLROnPlateauV2 + early stopping, AugMix) on the digits demo data, shrunk to finish on 2 CPU cores in
# minutes: 64 px input instead of 224, batch 32, at most 12 epochs instead of 200, a 2-epoch warmup with patience 2
# instead of 5 so that the LR drops and early stopping can happen within those epochs, and lr 0.010 (see below).
# Digits are not mirror-symmetric, so the horizontal flip is off.
_base_ = ['./effnet_lite0_adaptive.py']

data_root = 'data/digits'
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='RandomCrop', prob=0.3, scale=(0.9, 1.0)),
    dict(type='Resize', size=64),
    dict(type='AugMix', severity=5, width=3, depth=-1, alpha=1.0, blended=False, prob=1.0),
    dict(type='RandomHorizontalFlip', prob=0.0),
    dict(type='RandomRotate', prob=0.3, max_angle=10.0),
    dict(type='PackClsInputs'),
]
test_pipeline = [
    dict(type='LoadImage'),
    dict(type='Resize', size=64),
    dict(type='PackClsInputs'),
]
train_dataloader = dict(batch_size=32, dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(batch_size=64, dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader

max_epochs = 12
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=2, convert_to_iter_based=True),
]
custom_hooks = [
    dict(type='ReduceLROnPlateauV2', monitor='train_loss', factor=0.1, patience=2, threshold=2e-4,
         min_lr_ratio=1 / 200, warmup_epochs=2, forced_drop_ratio=0.75, early_stop_metric='top1',
         early_stop_patience=2),
]
train_cfg = dict(max_epochs=12)
# Initial LR 0.010 instead of the recipe's 0.003 (declared for batch 32, so no linear rescaling). On this data the
# grid search (the paper's reference method) found 0.010 for the baseline demo config (benchmarks/results/
# lr_search.json), and the Lite0 adaptive recipe at 32 px for 20 epochs reached val top-1 0.978 at lr 0.010 against
# 0.853 at 0.003; with the recipe's 0.003 per 64 images (0.0015 at batch 32) this demo reached 0.783 (docs/
# benchmarks.md): the AM-Softmax head (scale 3.1 for 10 classes) learns slowly at the recipe's LR.
optim_wrapper = dict(optimizer=dict(lr=0.010))
auto_scale_lr = dict(base_batch_size=32)
