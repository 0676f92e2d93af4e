# Baseline recipe (recipe.md): 200 epochs of SGD + cosine at a fixed LR of 0.003, dropout 0.2, basic augmentation.
_base_ = [
    '_base_/models/effnet_b0.py',
    '_base_/datasets/image_folder_basic_aug.py',
    '_base_/schedules/sgd_cosine_200e.py',
    '_base_/default_runtime.py',
]
optim_wrapper = dict(optimizer=dict(lr=0.003))
