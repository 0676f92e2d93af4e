"""Error analysis of a checkpoint on its validation set, and suspected label issues in its training and validation
sets: ``adaptcls test CONFIG CHECKPOINT --analyze [DIR]`` and :func:`analyze_checkpoint`. docs/explain.md.

The validation set is the one ``adaptcls test`` evaluates: the data's ``val/`` folder (``valid/``, ``validation/``),
its ``test/`` folder when it has one, or the validation part of the split recorded beside the checkpoint. Every image
of it and of the training set is read with the test pipeline and run through the checkpoint once, for its logits
and its embedding (``adaptcls.apis.image_embeddings``). From the validation logits: per-class precision, recall and
F1, the most confused class pairs and the most confidently wrong images, each with a Grad-CAM map of its predicted
class (``adaptcls.evaluation.error_analysis``, ``adaptcls.apis.saliency``). From the embeddings of both sets: the
suspected label issues (``adaptcls.evaluation.label_issues``: cross-validated logistic regression + cleanlab; its
docstring gives the method and its limits).

Files written into the output folder (``adaptcls test --analyze``: ``<work dir>/analysis``; each atomically):

- ``analysis.json``: the dict :func:`analyze_checkpoint` returns (schema below);
- ``predictions.npz``: the validation set's ``paths`` (N,) str, ``labels`` (N,) int64, ``logits`` (N, C) float32 and
  ``classes`` (C,) str (no pickled objects: ``np.load`` reads it without ``allow_pickle``);
- ``gallery/NNN_<image name>.png``: the Grad-CAM overlay of the NNN-th most confidently wrong image (files of an
  earlier analysis that this one does not name may remain).

``analysis.json`` (``schema_version`` 1; paths of images as the data set lists them, paths of written files relative
to the output folder; probabilities and scores in [0, 1])::

    schema_version   int, 1
    config, checkpoint   str: what was analysed
    classes          [str], index = label
    val              {image_root: str, images: int, top1: float}
    train            {image_root: str, images: int}
    per_class        [{class: str, precision: float, recall: float, f1: float, support: int}], in class order
    confused_pairs   [{true: str, predicted: str, count: int, share: float}]: the most frequent mistakes (share:
                     count / images of the true class), most first, at most error_analysis.TOP_CONFUSED_PAIRS
    confidently_wrong  [{path: str, true: str, predicted: str, probability: float, saliency_png: str}]: the wrong
                     validation images whose predicted class is most probable, most first (probability: of the
                     predicted class); saliency_png: its overlay, e.g. "gallery/001_cat.png"
    label_issues     {method: str, folds: int | null, skipped: str | null (why no search was made),
                      counts: {train: int, val: int},
                      suspects: [{split: "train" | "val", path: str, given: str, suggested: str, score: float}]}:
                     most suspect first; score: the cross-validated probability of the given label
    files            {predictions: "predictions.npz", gallery: "gallery"}
"""
import os
from typing import Dict, List, NamedTuple, Optional, Sequence

import numpy as np

from adaptcls.errors import UserInputError
from adaptcls.evaluation.error_analysis import DEFAULT_GALLERY, confused_pairs, most_confidently_wrong, per_class_table
from adaptcls.evaluation.label_issues import (DEFAULT_FOLDS, INSTALL_HINT, cross_validated_probabilities,
                                             effective_folds, find_suspects)
from adaptcls.utils import atomic_write_json
from adaptcls.utils.atomic import atomic_path

ANALYSIS_JSON = 'analysis.json'
"""The analysis, in the output folder."""
PREDICTIONS_NPZ = 'predictions.npz'
"""The validation set's paths, labels and logits, in the output folder."""
GALLERY_DIR = 'gallery'
"""The Grad-CAM overlays of the most confidently wrong images, in the output folder."""
SCHEMA_VERSION = 1
"""Version of the analysis.json layout (the module docstring); raised when a key changes meaning or goes."""
LABEL_ISSUE_METHOD = ('confident learning (cleanlab find_label_issues, prune_by_noise_rate) on out-of-fold '
                      'probabilities of a logistic regression on the L2-normalised penultimate-layer embeddings')
"""analysis.json's ``label_issues.method``."""
SUMMARY_ROWS = 3
"""How many classes, pairs and suspects the printed summary lists."""
DATALOADER_OF = {'train': 'train_dataloader', 'val': 'test_dataloader'}
"""The image sets an analysis reads, and the dataloaders of the config they come from."""
SPLITS = tuple(DATALOADER_OF)


class ImageSet(NamedTuple):
    """The images of one split: files, labels, their folder and the data root."""

    paths: List[str]
    labels: np.ndarray
    image_root: str
    data_root: str


def analyze_checkpoint(config_path: str, checkpoint: str, out_dir: str, data_root: Optional[str] = None,
                       gallery: int = DEFAULT_GALLERY, device: str = 'cpu', folds: int = DEFAULT_FOLDS) -> Dict:
    """Analyses a checkpoint's errors on its validation set and searches its training and validation sets for label
    issues; writes the files of the module docstring into ``out_dir``.

    Args:
        config_path (str): the config the checkpoint was trained with.
        checkpoint (str): the checkpoint (loaded weights-only; classes, model and input size checked).
        out_dir (str): the output folder (created; ``adaptcls test --analyze``: ``<work dir>/analysis``).
        data_root (str, optional): the data set; None: the config's. Defaults to None.
        gallery (int): how many of the most confidently wrong images get a Grad-CAM overlay (0: none).
            Defaults to DEFAULT_GALLERY (16).
        device (str): torch device. Defaults to 'cpu'.
        folds (int): K of the label-issue cross-validation. Defaults to DEFAULT_FOLDS (5).

    Returns:
        dict: the content of analysis.json (the module docstring).

    Raises:
        UserInputError: ``out_dir`` is or holds an input (the data set, the config, the checkpoint), ``gallery`` is
            negative, or the data's classes are not the checkpoint's.
    """
    from .inference import CheckpointClassifier
    if gallery < 0:
        raise UserInputError(f'gallery (--gallery) is a number of images, at least 0; got {gallery}.')
    check_analysis_dependencies(gallery)
    classifier = CheckpointClassifier(config_path, checkpoint, data_root, device)
    classes = classifier.labels
    sets = {split: _image_set(classifier.loaded.cfg, split, classes) for split in SPLITS}
    check_analysis_dir(out_dir, inputs=[config_path, checkpoint],
                       input_folders=[folder for image_set in sets.values()
                                      for folder in (image_set.image_root, image_set.data_root)])
    from .image_embeddings import logits_and_embeddings
    outputs = {split: logits_and_embeddings(classifier, image_set.paths, f'{split} images')
               for split, image_set in sets.items()}
    val, val_logits = sets['val'], outputs['val'][0]
    from scipy.special import softmax
    probabilities = softmax(val_logits.astype(np.float64), axis=1)
    predicted = probabilities.argmax(axis=1)
    wrong = most_confidently_wrong(probabilities, val.labels, gallery)
    analysis = dict(
        schema_version=SCHEMA_VERSION, config=config_path, checkpoint=checkpoint, classes=classes,
        val=dict(image_root=val.image_root, images=len(val.paths), top1=float((predicted == val.labels).mean())),
        train=dict(image_root=sets['train'].image_root, images=len(sets['train'].paths)),
        per_class=per_class_table(val.labels, predicted, classes),
        confused_pairs=confused_pairs(val.labels, predicted, classes),
        confidently_wrong=_gallery(classifier, out_dir, [val.paths[index] for index in wrong], val.labels[wrong],
                                   probabilities[wrong]),
        label_issues=_label_issues(sets, outputs, classes, folds),
        files=dict(predictions=PREDICTIONS_NPZ, gallery=GALLERY_DIR))
    _write_predictions(os.path.join(out_dir, PREDICTIONS_NPZ), val.paths, val.labels, val_logits, classes)
    atomic_write_json(os.path.join(out_dir, ANALYSIS_JSON), analysis)
    return analysis


def check_analysis_dir(out_dir: str, inputs: Sequence[str] = (), input_folders: Sequence[str] = (),
                       option: str = 'out_dir') -> None:
    """Refuses an output folder whose files would be, or lie among, the analysis's inputs, before any work.

    Args:
        out_dir (str): the output folder.
        inputs (Sequence[str]): the files read (config, checkpoint).
        input_folders (Sequence[str]): the folders read (the data root, the image folders).
        option (str): how the user gave ``out_dir``, for the message. Defaults to 'out_dir'.

    Raises:
        UserInputError: ``out_dir`` is a file, or an output (analysis.json, predictions.npz, gallery/) is an input,
            lies inside an input folder, or holds one.
    """
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise UserInputError(f'{option} "{out_dir}" is a file; give a folder for the analysis files.')
    outputs = [os.path.realpath(os.path.join(out_dir, name)) for name in (ANALYSIS_JSON, PREDICTIONS_NPZ, GALLERY_DIR)]
    for source in [*inputs, *input_folders]:
        if not source or not os.path.exists(source):
            continue
        real = os.path.realpath(source)
        for output in outputs:
            if os.path.commonpath([output, real]) in (output, real):
                raise UserInputError(f'{option} "{out_dir}": the analysis would write {output}, which is or lies '
                                     f'inside (or holds) {source}, an input of the analysis (a data set\'s images, '
                                     'the config or the checkpoint); give a folder outside the data.')


def check_analysis_dependencies(gallery: int = DEFAULT_GALLERY) -> None:
    """Refuses an analysis before any work when cleanlab (label issues) or, for a gallery, torchcam (Grad-CAM) is
    not installed.

    Raises:
        ImportError: naming the missing package and how to install it.
    """
    from importlib.util import find_spec
    needed = ['cleanlab'] + (['torchcam'] if gallery > 0 else [])
    missing = [name for name in needed if find_spec(name) is None]
    if missing:
        raise ImportError(f'the analysis needs {" and ".join(missing)}; install them: {INSTALL_HINT}')


def analysis_summary(analysis: Dict, out_dir: str, rows: int = SUMMARY_ROWS) -> str:
    """A few lines for a person: the worst classes by F1, the top confused pairs, the label-issue suspects, the
    files.

    Args:
        analysis (dict): what :func:`analyze_checkpoint` returned.
        out_dir (str): where its files are.
        rows (int): classes, pairs and suspects listed. Defaults to SUMMARY_ROWS (3).
    """
    val, issues = analysis['val'], analysis['label_issues']
    worst = sorted(analysis['per_class'], key=lambda row: (row['f1'], row['class']))[:rows]
    lines = [f'Error analysis of {val["images"]} validation images (top-1 {val["top1"]:.4f}):',
             '  worst classes (F1): ' + ', '.join(f'{row["class"]} {row["f1"]:.3f} (precision {row["precision"]:.3f}'
                                                  f', recall {row["recall"]:.3f})' for row in worst)]
    pairs = analysis['confused_pairs'][:rows]
    lines.append('  most confused (true -> predicted): ' + (', '.join(
        f'{pair["true"]} -> {pair["predicted"]} {pair["count"]} ({pair["share"]:.0%})' for pair in pairs) or 'none'))
    if issues['skipped']:
        lines.append(f'  label issues: not searched ({issues["skipped"]})')
    else:
        lines.append(f'  suspected label issues: {issues["counts"]["train"]} in train, {issues["counts"]["val"]} in '
                     f'val (of {analysis["train"]["images"]} and {val["images"]} images)')
        lines += [f'    {row["path"]}: labelled {row["given"]}, looks like {row["suggested"]} (score '
                  f'{row["score"]:.3f})' for row in issues['suspects'][:rows]]
    lines.append(f'  {len(analysis["confidently_wrong"])} most confidently wrong images with Grad-CAM maps in '
                 f'{os.path.join(out_dir, GALLERY_DIR)}; everything in {os.path.join(out_dir, ANALYSIS_JSON)}')
    return '\n'.join(lines)


def _image_set(cfg, split: str, classes: Sequence[str]) -> ImageSet:
    """The ``split`` images of ``cfg``, whose classes must be ``classes``."""
    from adaptcls.config import iter_datasets
    from adaptcls.registry import DATASETS, adaptcls_scope
    key = DATALOADER_OF[split]
    dataset_cfg = next(iter_datasets(cfg, (key,)), None)
    if dataset_cfg is None:
        raise UserInputError(f'{cfg.filename}: the config has no {key} dataset, which the analysis reads.')
    dataset_cfg = {name: value for name, value in dataset_cfg.items() if name != 'cache'}  # read once here
    with adaptcls_scope():
        dataset = DATASETS.build(dict(dataset_cfg, pipeline=[], test_mode=True))
    if list(dataset.metainfo['classes']) != list(classes):
        raise UserInputError(f'the {split} images of {dataset_cfg.get("data_root")} have the classes '
                             f'{list(dataset.metainfo["classes"])}, the checkpoint {list(classes)}; analyse it on '
                             'the data it was trained on (--data-root).')
    infos = [dataset.get_data_info(index) for index in range(len(dataset))]
    image_root = getattr(dataset, 'image_root', dataset_cfg.get('data_root'))
    return ImageSet([info['img_path'] for info in infos], np.array([info['gt_label'] for info in infos], np.int64),
                    image_root, dataset_cfg.get('data_root'))


def _gallery(classifier, out_dir: str, paths: Sequence[str], labels: np.ndarray,
             probabilities: np.ndarray) -> List[Dict]:
    """The confidently-wrong entries of analysis.json, writing each image's Grad-CAM overlay (predicted class)."""
    if not paths:
        return []
    from PIL import Image

    from adaptcls.deployment.runtime.saliency_output import overlay
    from .saliency import SaliencyExplainer
    explainer = SaliencyExplainer(classifier)
    classes, entries = classifier.labels, []
    try:
        for rank, (path, label, row) in enumerate(zip(paths, labels, probabilities), start=1):
            explanation = explainer.explain(path)
            name = f'{rank:03d}_{os.path.splitext(os.path.basename(path))[0]}.png'
            with atomic_path(os.path.join(out_dir, GALLERY_DIR, name)) as tmp:
                Image.fromarray(overlay(explanation.image, explanation.saliency)).save(tmp, format='PNG')
            entries.append(dict(path=path, true=classes[int(label)], predicted=classes[int(row.argmax())],
                                probability=float(row.max()), saliency_png=f'{GALLERY_DIR}/{name}'))
    finally:
        explainer.close()
    return entries


def _label_issues(sets: Dict[str, ImageSet], outputs: Dict, classes: Sequence[str], folds: int) -> Dict:
    """analysis.json's ``label_issues``: one search over the training and validation images together."""
    labels = np.concatenate([sets[split].labels for split in SPLITS])
    split_of = [split for split in SPLITS for _ in sets[split].paths]
    paths = [path for split in SPLITS for path in sets[split].paths]
    counts = dict.fromkeys(SPLITS, 0)
    result = dict(method=LABEL_ISSUE_METHOD, folds=None, skipped=None, counts=counts, suspects=[])
    try:
        result['folds'] = effective_folds(labels, len(classes), folds)
        probabilities = cross_validated_probabilities(np.concatenate([outputs[split][1] for split in SPLITS]), labels,
                                                      len(classes), folds)
    except UserInputError as error:  # e.g. a class with a single image: the rest of the analysis stands
        result.update(folds=None, skipped=str(error))
        return result
    for suspect in find_suspects(labels, probabilities):
        split = split_of[suspect['index']]
        counts[split] += 1
        result['suspects'].append(dict(split=split, path=paths[suspect['index']], given=classes[suspect['given']],
                                       suggested=classes[suspect['suggested']], score=suspect['score']))
    return result


def _write_predictions(path: str, paths: Sequence[str], labels: np.ndarray, logits: np.ndarray,
                       classes: Sequence[str]) -> None:
    """predictions.npz (the module docstring), atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, 'wb') as stream:
            np.savez(stream, paths=np.array(paths, dtype=str), labels=labels.astype(np.int64),
                     logits=logits.astype(np.float32), classes=np.array(classes, dtype=str))
