# benchmarks/train_throughput.py, SGD side: tools/train.py's loop (mmengine Runner) with the MobileNetV3-large
# model base and the baseline schedule (OptimWrapper + SGD, cosine LR per iteration), fed seeded random images
# held in memory (benchmarks/common/in_memory_dataset.py), so that file reading and augmentation are out of the
# measurement. Random weights, one epoch, no validation; an IterationClock hook times every iteration. The
# benchmark sets batch size, image size and the number of samples with --cfg-options; run from the repository
# root (custom_imports needs it on sys.path).
_base_ = [
    '../../configs/_base_/models/mnv3_large.py',
    '../../configs/_base_/schedules/sgd_cosine_200e.py',
    '../../configs/_base_/default_runtime.py',
]
custom_imports = dict(imports=['benchmarks.common.in_memory_dataset', 'benchmarks.common.iteration_clock',
                               'benchmarks.common.profiling'],
                      allow_failed_imports=False)

model = dict(backbone=dict(pretrained=False, pretrained_tag=None), head=dict(num_classes=10))
train_dataloader = dict(
    batch_size=32,
    num_workers=0,  # the data is in memory already
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='InMemoryClsDataset', num_samples=736, image_size=96, num_classes=10, seed=0),
)
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None
train_cfg = dict(max_epochs=1)
# Clock readings after every iteration, written to <work_dir>/iteration_clock.json (runs after all other hooks).
default_hooks = dict(iteration_clock=dict(type='IterationClock', out_file='iteration_clock.json'))
