# Runtime settings shared by every adaptcls config. No imports here (environment.md, pitfall 2).
default_scope = 'adaptcls'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # Keeps the last 2 epoch checkpoints and the best-by-val-top1 one (the run's result). Checkpoints and the
    # last_checkpoint pointer are written atomically (docs/reliability.md): a kill mid-save keeps the old ones.
    checkpoint=dict(type='AtomicCheckpointHook', interval=1, max_keep_ckpts=2, save_best='top1', rule='greater',
                    backend_args=dict(backend='adaptcls_atomic_local')),
    # Python/numpy/torch random generator states in every checkpoint, restored on --resume (exact resume).
    random_state=dict(type='RandomStateHook'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # Multi-process runs: average the BatchNorm statistics of all processes after each train epoch (before the
    # checkpoint and validation), so every process validates the model the checkpoint holds. No-op in one process.
    sync_buffers=dict(type='SyncBuffersHook'),
    # Train/val/test classes and the model's num_classes must agree (fails fast with the fix).
    data_check=dict(type='DataConsistencyHook'),
    # history.json, training_curves.png and summary.json in the work dir.
    run_summary=dict(type='RunSummaryHook', best_metric='top1'),
    # optim_wrapper.amp_dtype='auto' (--amp): times the model in fp32 and bf16 before training and trains in bf16
    # only if it is measured faster on this machine. Does nothing for any other amp_dtype.
    auto_precision=dict(type='AutoPrecisionHook'),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),  # tools/train.py switches to 'gloo' when no GPU is present
)
# Keeps adaptcls's training-step protocol (SAM's two passes) under DDP. The 'adaptcls.' scope prefix
# is needed: mmengine looks model wrappers up in its root registry.
model_wrapper_cfg = dict(type='adaptcls.AdaptclsDistributedDataParallel')
log_processor = dict(by_epoch=True)
visualizer = dict(type='Visualizer', vis_backends=[dict(type='LocalVisBackend')])
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
