# The `make demo` config: EfficientNet-Lite0 (offline ImageNet weights) on the digits demo data,
# shrunk to run on 2 CPU cores in minutes: 64 px input instead of 224, 10 epochs instead of 200.
_base_ = ['./effnet_lite0_baseline.py']

data_root = 'data/digits'
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='RandomCrop', prob=0.3, scale=(0.9, 1.0)),
    dict(type='Resize', size=64),
    dict(type='RandomHorizontalFlip', prob=0.0),  # digits are not mirror-symmetric
    dict(type='ColorJitter', brightness=0.2, contrast=0.2, saturation=0.2, hue=0.0),
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

param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=10, eta_min=0.0, by_epoch=True, begin=0, end=10,
         convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=10)
auto_scale_lr = dict(base_batch_size=32)
