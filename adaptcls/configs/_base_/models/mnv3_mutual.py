# Deep Mutual Learning of two MobileNetV3 students (recipe.md "Mutual learning", the MobileNetV3 recipe), the one
# base of the three MobileNetV3 configs: MobileNetV3-large as written; configs/mnv3_small_adaptive.py and
# configs/mnv3_large_075_adaptive.py change only the students' model_name, pretrained_tag and head in_channels:
# a "fast" student with a linear head + cross-entropy (the model that is evaluated, checkpointed as "the model" and
# exported) and a "slow" student with an AM-Softmax head (margin 0.35, scale 30, dropout 0.2: docs/recipe.md), trained together on the same
# batches; each adds kl_weight * KL(other's detached distribution || its own) to its supervised loss.
# Weights: timm mobilenetv3_large_100.ra_in1k ImageNet weights from the Hugging Face hub; offline, set both backbones' pretrained to a local file.
# num_classes=None: tools/train.py infers it from the training data.
model = dict(
    type='MutualLearningClassifier',
    kl_weight=1.0,  # weight of each student's KL term (Deep Mutual Learning, Zhang et al. 2018)
    data_preprocessor=dict(type='ClsDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375]),
    fast=dict(
        backbone=dict(type='TimmBackbone', model_name='mobilenetv3_large_100', pretrained=True, pretrained_tag='ra_in1k'),
        head=dict(type='LinearClsHead', num_classes=None, in_channels=1280, dropout=0.2,
                  loss=dict(type='CrossEntropyLoss')),
    ),
    slow=dict(
        backbone=dict(type='TimmBackbone', model_name='mobilenetv3_large_100', pretrained=True, pretrained_tag='ra_in1k'),
        # dropout 0.2 before the AM-Softmax head, as the paper's auxiliary model (docs/recipe.md)
        head=dict(type='AMSoftmaxHead', num_classes=None, in_channels=1280, margin=0.35, scale=30.0, dropout=0.2),
    ),
)

# Initial learning-rate search (tools/lr_search.py; recipe.md "Initial learning-rate estimation"):
# the paper's LR range for MobileNetV3 and the step of the discrete LR grid.
lr_search = dict(lr_range=(0.005, 0.029), lr_step=0.001)
