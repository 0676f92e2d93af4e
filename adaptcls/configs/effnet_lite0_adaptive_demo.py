# The `make demo` config: the EfficientNet-Lite0 adaptive recipe (effnet_lite0_adaptive.py: the LR range test first,
# AM-Softmax head, SAM, warmup + ReduceLROnPlateauV2 + early stopping, AugMix) on the digits demo data, shrunk to
# finish on 2 CPU cores in minutes: 32 px input instead of 224 (the digits are 8 x 8 px images), batch 32, at most 30
# epochs instead of 200 (early stopping ends it sooner: docs/benchmarks.md, "make demo"). Everything
# else (the searched LR, warmup 2, patience 2, early-stop patience 2, lr floor / 100) is the recipe's own default.
# Digits are not mirror-symmetric, so the horizontal flip is off.
_base_ = ['./effnet_lite0_adaptive.py']

data_root = 'data/digits'
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='RandomCrop', prob=0.3, scale=(0.9, 1.0)),
    dict(type='Resize', size=32),
    dict(type='AugMix', severity=5, width=3, depth=-1, alpha=1.0, blended=False, prob=1.0),
    dict(type='RandomHorizontalFlip', prob=0.0),
    dict(type='RandomRotate', prob=0.3, max_angle=10.0),
    dict(type='PackClsInputs'),
]
test_pipeline = [
    dict(type='LoadImage'),
    dict(type='Resize', size=32),
    dict(type='PackClsInputs'),
]
train_dataloader = dict(batch_size=32, dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(batch_size=64, dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader

train_cfg = dict(max_epochs=30)
# The recipe's lr (0.010 per 64 images, used with --no-auto-lr and as the LR search's reference) declared for the
# demo's batch of 32, so no linear rescaling.
auto_scale_lr = dict(base_batch_size=32)
