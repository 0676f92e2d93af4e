# Class-per-folder data: <data_root>/train/<class>/*.png and <data_root>/val/<class>/*.png.
# The adaptive recipe's augmentation (recipe.md, "Augmentation (train)"): random crop, resize, AugMix
# (timm's ImageNet op set, severity 5, width 3, random depth 1-3, alpha 1), flip, rotation; normalisation
# happens in the model's data preprocessor. The same dataloaders and evaluator as image_folder_basic_aug.py.
# MixUp/CutMix are off (the paper found them harmful on top of AugMix for these models); to enable one, set
# model.data_preprocessor.batch_augments=[dict(type='MixUp', alpha=0.2, num_classes=<number of classes>)].
# A child config that changes a pipeline must also re-bind it in the dataloaders that use it.
data_root = 'data/'

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='RandomCrop', prob=0.3, scale=(0.9, 1.0)),
    dict(type='Resize', size=224),
    dict(type='AugMix', severity=5, width=3, depth=-1, alpha=1.0, blended=False, prob=1.0),
    dict(type='RandomHorizontalFlip', prob=0.5),
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
