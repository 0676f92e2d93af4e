"""Bad input, end to end through ``tools/train.py`` as a user runs it (``run_cli(main)``, in this process):
each case either ends with exit status 2 and one clear line naming the file/key/value and the fix, with the
work already saved left intact, or trains to the end with the input handled as documented."""
import hashlib
import json
import os.path as osp
import runpy
import shutil
from typing import Callable, List, NamedTuple, Sequence

import numpy as np
import pytest
import torch
from PIL import Image

from adaptcls.cli.cli_errors import run_cli
from tests.datasets.transforms.test_loading import write_16bit_colour_png
from tests.tools.conftest import REPO, tiny_config, tiny_data  # noqa: F401 (fixture)

TRAIN = osp.join(REPO, 'tools', 'train.py')
TEST = osp.join(REPO, 'tools', 'test.py')


class Case(NamedTuple):
    """``prepare(data, work_dir)`` breaks the copied data and returns extra command-line arguments;
    ``check(data, work_dir, stderr)`` asserts what the case guarantees beyond the message."""
    prepare: Callable
    exit_status: int
    messages: Sequence[str] = ()
    check: Callable = None


@pytest.fixture(autouse=True)
def one_torch_thread():
    """One intra-op thread: on the 2 shared cores, 2 threads took 10 s per step instead of 0.1 s (load ~9)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def write_tiny_config(tmp_path) -> str:
    """One epoch of 2 iterations (24 train images in file order) and one validation batch."""
    cfg = tiny_config(max_epochs=1)
    cfg.train_dataloader.update(batch_size=12, sampler=dict(type='DefaultSampler', shuffle=False))
    cfg.val_dataloader.batch_size = 12
    path = tmp_path / 'tiny.py'
    cfg.dump(str(path))
    return str(path)


def train(config: str, data, work_dir, *extra: str) -> None:
    main = runpy.run_path(TRAIN, run_name='adaptcls_tool')['main']
    run_cli(lambda: main([config, '--data-root', str(data), '--work-dir', str(work_dir), *extra]))


def truncate(path) -> None:
    path.write_bytes(path.read_bytes()[:len(path.read_bytes()) // 2])


def cfg_options(*options: str) -> List[str]:
    return ['--cfg-options', *options]


def corrupt_train_images(data, work_dir):
    truncate(data / 'train' / 'circle' / '0.png')
    return cfg_options('train_dataloader.num_workers=1')  # the message comes through a DataLoader worker


def zero_byte_image(data, work_dir):
    (data / 'train' / 'square' / '1.png').write_bytes(b'')
    return []


def text_file_named_png(data, work_dir):
    (data / 'train' / 'stripes' / '2.png').write_text('not an image\n')
    return []


def corrupt_val_image(data, work_dir):
    truncate(data / 'val' / 'circle' / '0.png')
    return []


def epoch_checkpoint_was_saved_before_validation(data, work_dir, stderr):
    assert osp.isfile(work_dir / 'epoch_1.pth')  # the epoch's work survives the bad val image


SKIPPED = {'train': ['circle/0.png', 'square/1.png'], 'val': ['stripes/2.png']}


def unusual_modes_and_bad_files_with_skip_policy(data, work_dir):
    """Grey, grey+alpha, RGBA, palette with transparency, 16-bit grey and 48-bit RGB PNGs, which are
    converted and trained on; and unreadable files, which the 'skip' policy leaves out."""
    train = data / 'train' / 'circle'
    rgb = np.asarray(Image.open(train / '1.png'))
    grey = np.asarray(Image.open(train / '1.png').convert('L'))
    Image.fromarray(grey, 'L').save(train / '1.png')
    Image.fromarray(np.dstack([grey, np.full_like(grey, 128)]), 'LA').save(train / '2.png')
    Image.fromarray(np.dstack([rgb, np.full_like(grey, 200)]), 'RGBA').save(train / '3.png')
    palette = Image.open(train / '4.png').convert('P', palette=Image.ADAPTIVE, colors=16)
    palette.info['transparency'] = 0
    palette.save(train / '4.png')
    Image.fromarray(grey.astype(np.uint16) * 257).save(train / '5.png')
    write_16bit_colour_png(train / '6.png', rgb.astype(np.uint16) * 257)
    truncate(data / 'train' / 'circle' / '0.png')
    (data / 'train' / 'square' / '1.png').write_bytes(b'')
    (data / 'val' / 'stripes' / '2.png').write_text('not an image\n')
    return cfg_options('train_dataloader.dataset.bad_images=skip', 'val_dataloader.dataset.bad_images=skip')


def only_unreadable_files_were_skipped_and_listed(data, work_dir, stderr):
    """In summary.json, and in the output of tools/test.py on the same (val) folder."""
    summary = json.loads((work_dir / 'summary.json').read_text())
    assert summary['epochs_run'] == 1
    for split, files in SKIPPED.items():
        report = summary['skipped_images'][str(data / split)]
        assert report['checked'] == len(list((data / split).rglob('*.png')))
        assert [item['path'] for item in report['skipped']] == [str(data / split / name) for name in files]
    out = work_dir / 'test.json'
    runpy.run_path(TEST, run_name='adaptcls_tool')['main']([
        str(work_dir.parent / 'tiny.py'), summary['best_checkpoint'], '--data-root', str(data), '--out', str(out),
        '--work-dir', str(work_dir / 'test'), '--cfg-options', 'test_dataloader.dataset.bad_images=skip'])
    val = str(data / 'val')
    assert json.loads(out.read_text())['skipped_images'] == {val: summary['skipped_images'][val]}


def empty_class_folder(data, work_dir):
    (data / 'train' / 'empty').mkdir()
    return []


def val_class_absent_from_train(data, work_dir):
    (data / 'val' / 'triangle').mkdir()
    shutil.copy(data / 'val' / 'circle' / '0.png', data / 'val' / 'triangle' / '0.png')
    return []


def annotation_path(path: str):
    def prepare(data, work_dir):
        (data / 'train.txt').write_text(f'circle/0.png circle\n{path} square\n')
        return cfg_options('train_dataloader.dataset.ann_file=train.txt')
    return prepare


def options(*values: str):
    return lambda data, work_dir: cfg_options(*values)


def file_digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


CASES = {
    'truncated-image': Case(corrupt_train_images, 2, ('train/circle/0.png', 'truncated',
                                                      "bad_images='skip'")),
    'zero-byte-image': Case(zero_byte_image, 2, ('train/square/1.png', "bad_images='skip'")),
    'non-image-file': Case(text_file_named_png, 2, ('train/stripes/2.png', 'not an image')),
    'corrupt-val-image': Case(corrupt_val_image, 2, ('val/circle/0.png',),
                              epoch_checkpoint_was_saved_before_validation),
    'image-modes-and-skip-policy': Case(unusual_modes_and_bad_files_with_skip_policy, 0, (),
                                        only_unreadable_files_were_skipped_and_listed),
    'empty-class-folder': Case(empty_class_folder, 2, ('train/empty holds no images', 'add images to it or '
                                                       'remove the folder')),
    'val-class-absent-from-train': Case(val_class_absent_from_train, 2, ("classes only in val set", "['triangle']",
                                                                         'same classes')),
    'annotation-path-escapes-root': Case(annotation_path('../outside.png'), 2, (
        "train.txt:2: image path '../outside.png' points outside the image folder",)),
    'annotation-absolute-path': Case(annotation_path('/etc/hostname'), 2, (
        "train.txt:2: image path '/etc/hostname' points outside",)),
    'num-classes-disagrees': Case(options('model.head.num_classes=5'), 2, (
        'The model predicts 5 classes but the train set', 'has 3', 'model.head.num_classes=3')),
    'unknown-registry-type': Case(options('model.head.type=LinearClsHaed'), 2, (
        'Unknown model type "LinearClsHaed"', "Did you mean 'LinearClsHead'")),
    'misspelt-top-level-key': Case(options('optim_wraper.optimizer.lr=0.1'), 2, (
        "unknown top-level key 'optim_wraper'", "did you mean 'optim_wrapper'?")),
    'misspelt-argument': Case(options('model.backbone.model_nam=resnet18'), 2, (
        "model.backbone (TimmBackbone): unknown argument 'model_nam': did you mean 'model_name'?",)),
}


@pytest.mark.parametrize('case', CASES.values(), ids=CASES.keys())
def test_bad_input(case, tiny_data, tmp_path, capsys):  # noqa: F811
    data, work_dir = tmp_path / 'data', tmp_path / 'work'
    shutil.copytree(tiny_data, data)
    extra = case.prepare(data, work_dir)
    config = write_tiny_config(tmp_path)

    if case.exit_status:
        with pytest.raises(SystemExit) as exit_info:
            train(config, data, work_dir, *extra)
        assert exit_info.value.code == case.exit_status
    else:
        train(config, data, work_dir, *extra)

    stderr = capsys.readouterr().err
    if case.exit_status:
        first_line = stderr.splitlines()[0]
        assert first_line.startswith('error: ') and 'Traceback' not in stderr
        for text in case.messages:
            assert text in first_line
    if case.check:
        case.check(data, work_dir, stderr)


def test_non_finite_loss_stops_and_keeps_the_last_good_checkpoint(tiny_data, tmp_path, capsys):  # noqa: F811
    config, work_dir = write_tiny_config(tmp_path), tmp_path / 'work'
    train(config, tiny_data, work_dir)
    good = work_dir / 'epoch_1.pth'
    digest, mtime = file_digest(good), good.stat().st_mtime_ns
    capsys.readouterr()

    diverging = tmp_path / 'diverging'  # a fresh run may not reuse a work dir with results (work_dir_guard)
    with pytest.raises(SystemExit) as exit_info:  # the same weights, trained on at a far too high lr
        train(config, tiny_data, diverging, *cfg_options(f'load_from={good}', 'optim_wrapper.optimizer.lr=1e30'))

    assert exit_info.value.code == 2
    message = capsys.readouterr().err.splitlines()[0]
    assert message.startswith('error: Training stopped in epoch 1, iteration ')
    assert 'not finite' in message and 'configured optim_wrapper.optimizer.lr=1e+30' in message
    assert '--cfg-options optim_wrapper.optimizer.lr=5e+29' in message
    assert file_digest(good) == digest and good.stat().st_mtime_ns == mtime
    assert not list(diverging.glob('*.pth'))  # no checkpoint of NaN weights


def test_a_last_batch_of_one_image_is_dropped_not_a_batchnorm_error(tiny_data, tmp_path, capsys):  # noqa: F811
    """24 training images at batch 23 leave a last batch of 1, on which BatchNorm cannot train."""
    config = write_tiny_config(tmp_path)
    train(config, tiny_data, tmp_path / 'work', *cfg_options('train_dataloader.batch_size=23'))
    assert 'leave a last batch of 1 image' in capsys.readouterr().out
    summary = json.loads((tmp_path / 'work' / 'summary.json').read_text())
    assert summary['epochs_run'] == 1
