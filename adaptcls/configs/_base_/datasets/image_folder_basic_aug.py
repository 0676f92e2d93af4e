# Class-per-folder data: <data_root>/train/<class>/*.png and <data_root>/val/<class>/*.png.
# Baseline augmentation (recipe.md, "Baseline recipe"): random crop, resize, flip, colour jitter, rotation.
# A child config that changes a pipeline must also re-bind it in the dataloaders that use it.
data_root = 'data/'

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='RandomCrop', prob=0.3, scale=(0.9, 1.0)),
    dict(type='Resize', size=224),
    dict(type='RandomHorizontalFlip', prob=0.5),
    dict(type='ColorJitter', brightness=0.2, contrast=0.2, saturation=0.2, hue=0.0),
    dict(type='RandomRotate', prob=0.3, max_angle=10.0),
    dict(type='PackClsInputs'),
]
test_pipeline = [
    dict(type='LoadImage'),
    dict(type='Resize', size=224),
    dict(type='PackClsInputs'),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='ImageFolderDataset', data_root=data_root, data_prefix='train',
                 pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='ImageFolderDataset', data_root=data_root, data_prefix='val',
                 pipeline=test_pipeline),
)
test_dataloader = val_dataloader
val_evaluator = dict(type='ClsMetric', topk=(1, 5))
test_evaluator = val_evaluator
