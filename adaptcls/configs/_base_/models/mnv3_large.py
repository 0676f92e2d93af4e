# timm mobilenetv3_large_100 (ra_in1k ImageNet weights from the Hugging Face hub; offline, set backbone.pretrained to a local file)
# with a linear head. num_classes=None: tools/train.py infers it from the training data.
model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(type='ClsDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375]),
    backbone=dict(type='TimmBackbone', model_name='mobilenetv3_large_100', pretrained=True, pretrained_tag='ra_in1k'),
    head=dict(type='LinearClsHead', num_classes=None, in_channels=1280, dropout=0.2,
              loss=dict(type='CrossEntropyLoss')),
)

# Initial learning-rate search (tools/lr_search.py; recipe.md "Initial learning-rate estimation"):
# the paper's LR range for MobileNetV3 and the step of the discrete LR grid. Every other search setting
# (trials, epochs per trial, fast.ai options) defaults in adaptcls/lr_search/lr_search_settings.py.
lr_search = dict(lr_range=(0.005, 0.029), lr_step=0.001)
