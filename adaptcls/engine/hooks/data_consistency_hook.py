"""Fails fast when the datasets and the model disagree about the classes; checkpoints carry the model config's
fingerprint, and a resumed run refuses a checkpoint of another model config or other classes."""
from typing import Sequence

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from adaptcls.errors import UserInputError
from adaptcls.registry import HOOKS


@HOOKS.register_module()
class DataConsistencyHook(Hook):
    """Checks, before any training or testing, that train/val/test use the same class list and
    that the model predicts exactly that many classes.

    The error names both datasets and the fix, instead of letting a label mismatch train a
    model whose class indices mean different things in train and val.

    Every checkpoint gets ``meta['input_size']`` (the size the model was validated at: evaluating or exporting it at
    another size is refused, ``adaptcls.config.checkpoint_checks.check_input_size``) and
    ``meta['model_fingerprint']`` (:func:`~adaptcls.models.config_nodes.model_fingerprint` of
    ``runner.cfg.model``). When a run resumes (``cfg.resume``), a checkpoint that records another fingerprint or
    other training classes is refused before its weights are loaded (it used to fail with "different number of
    parameter groups", or continue with a warning on renamed classes). ``load_from`` (fine-tuning from another
    model) is not checked.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        from adaptcls.datasets.image_folder_dataset import check_same_classes

        train_dataset = runner.train_loop.dataloader.dataset
        train_classes = _classes(train_dataset)
        if runner.val_loop is not None:
            val_dataset = runner.val_loop.dataloader.dataset
            check_same_classes(train_classes, _classes(val_dataset),
                               _describe(train_dataset, 'train'), _describe(val_dataset, 'val'))
        self._check_model(runner, train_classes, _describe(train_dataset, 'train'))

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        from adaptcls.config.config_utils import INPUT_SIZE_META_KEY, config_input_size
        from adaptcls.models.config_nodes import FINGERPRINT_KEY, model_fingerprint
        meta = checkpoint.setdefault('meta', {})
        if runner.cfg.get('model') is not None:
            meta[FINGERPRINT_KEY] = model_fingerprint(runner.cfg.model)
        try:
            meta[INPUT_SIZE_META_KEY] = config_input_size(runner.cfg)
        except ValueError:
            pass  # a config without a sized test/val pipeline: nothing to record

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if not runner.cfg.get('resume') or runner.cfg.get('model') is None:
            return
        from adaptcls.models.config_nodes import CheckpointMismatchError, check_model_fingerprint
        where = runner.cfg.get('load_from') or f'the latest checkpoint in {runner.work_dir}'
        check_model_fingerprint(checkpoint, runner.cfg.model, where, runner.cfg.filename or 'the config')
        trained_on = tuple((checkpoint.get('meta') or {}).get('dataset_meta', {}).get('classes') or ())
        classes = _classes(runner.train_dataloader.dataset)
        if trained_on and classes and trained_on != classes:
            raise CheckpointMismatchError(
                f'cannot resume from {where}: it was trained on the classes {list(trained_on)[:10]}, the training '
                f'set now holds {list(classes)[:10]}. Resume with the data it was trained on, or start a new run '
                'in another --work-dir.')

    def before_test(self, runner) -> None:
        test_dataset = runner.test_loop.dataloader.dataset
        self._check_model(runner, _classes(test_dataset), _describe(test_dataset, 'test'))

    @staticmethod
    def _check_model(runner, classes: Sequence[str], data_desc: str) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        num_classes = getattr(model, 'num_classes', None)
        if num_classes is not None and classes and num_classes != len(classes):
            raise UserInputError(
                f'The model predicts {num_classes} classes but the {data_desc} has {len(classes)} '
                f'({", ".join(classes[:10])}{", ..." if len(classes) > 10 else ""}). Set '
                f'model.head.num_classes={len(classes)} in the config (or leave it None and let '
                'tools/train.py infer it from the training data).')


def _classes(dataset) -> tuple:
    return tuple(dataset.metainfo.get('classes', ()))


def _describe(dataset, split: str) -> str:
    # mmengine has already joined data_root into data_prefix['img_path'] when the dataset was built.
    prefix = getattr(dataset, 'data_prefix', {}) or {}
    folder = prefix.get('img_path', '') if isinstance(prefix, dict) else prefix
    return f'{split} set at "{folder or getattr(dataset, "data_root", "")}"'
