# Reference recipe: timm's train.py defaults for fine-tuning, rebuilt from adaptcls parts on EfficientNet-Lite0 (the
# bar a user holds adaptcls to; docs/benchmarks.md). What timm's train.py does with no flags but the model:
# SGD with Nesterov momentum 0.9, lr = 0.1 * batch / 256 (0.025 for batch 64), weight decay 2e-5 on weights only
# (timm leaves biases and norm layers undecayed), 5 warmup epochs from lr 1e-5, cosine annealing to 0, label
# smoothing 0.1, no dropout; train crop RandomResizedCrop(scale 0.08-1, ratio 3/4-4/3) + flip + colour jitter 0.4;
# eval: resize to size / 0.875, centre crop. Not a recipe of the paper: a comparison row for the benchmarks.
_base_ = [
    '_base_/models/effnet_lite0.py',
    '_base_/datasets/image_folder_basic_aug.py',
    '_base_/schedules/sgd_cosine_200e.py',
    '_base_/default_runtime.py',
]
model = dict(head=dict(dropout=0.0, loss=dict(type='CrossEntropyLoss', label_smoothing=0.1)))
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='RandomResizedCrop', size=224, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3)),
    dict(type='RandomHorizontalFlip', prob=0.5),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.0),
    dict(type='PackClsInputs'),
]
test_pipeline = [
    dict(type='LoadImage'),
    dict(type='Resize', size=256),  # 224 / 0.875 (timm's crop_pct)
    dict(type='CenterCrop', size=224),
    dict(type='PackClsInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.025, momentum=0.9, nesterov=True, weight_decay=2e-5),
    paramwise_cfg=dict(bias_decay_mult=0.0, norm_decay_mult=0.0),
)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-5 / 0.025, by_epoch=True, begin=0, end=5, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=195, eta_min=0.0, by_epoch=True, begin=5, end=200,
         convert_to_iter_based=True),
]
