# Adaptive recipe (recipe.md) for EfficientNet-Lite0: a single model with the AM-Softmax head, SAM (rho 0.05) over
# SGD with no bias decay and 2x bias LR, 5 warmup epochs, ReduceLROnPlateauV2 with a forced drop at 75% of
# max_epochs and early stopping (max 200 epochs), AugMix train pipeline. Initial LR 0.003 (the baseline's;
# `tools/train.py --auto-lr` or tools/lr_search.py estimates one for your data), declared for a total batch of 64
# (auto_scale_lr scales it linearly with the batch size).
_base_ = [
    '_base_/models/effnet_lite0_amsoftmax.py',
    '_base_/datasets/image_folder_augmix.py',
    '_base_/schedules/sam_plateau_v2.py',
    '_base_/default_runtime.py',
]
optim_wrapper = dict(optimizer=dict(lr=0.003))
# The initial LR is estimated before training (recipe.md "Initial learning-rate estimation"): the fast.ai-style range
# test (tools/lr_search.py --mode fastai: 1 warm-up epoch + at least 100 sweep iterations); the lr above is used only
# with `tools/train.py --no-auto-lr`. Its cost is recorded in summary.json under lr_search.
lr_search = dict(auto_lr='fastai')
