"""Multi-process training on CPU: ``torchrun --nproc_per_node=2 tools/train.py CONFIG --launcher pytorch`` (gloo)
with SAM and mutual learning; its validation covers every val image exactly once (9 images on 2 processes:
mmengine's sampler pads one duplicate and drops it again when gathering), and the best checkpoint's metrics in
summary.json equal a single-process ``tools/test.py`` evaluation of that checkpoint."""
import json
import os
import os.path as osp
import signal
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from adaptcls.utils import load_checkpoint_file
from tests.reliability.tiny_adaptive import REPO, tiny_adaptive_config
from tests.tools.conftest import CLASSES, _draw

PROCESSES = 2
TRAIN_PER_CLASS, VAL_PER_CLASS = 4, 3  # 9 val images: not a multiple of the 2 processes
BATCH_PER_PROCESS = 3
EPOCHS = 2
ENV = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1', PYTHONPATH=REPO)
TIMEOUT_S = 300


@pytest.fixture(scope='module')
def odd_data(tmp_path_factory):
    root = tmp_path_factory.mktemp('odd_data')
    rng = np.random.default_rng(1)
    for split, count in (('train', TRAIN_PER_CLASS), ('val', VAL_PER_CLASS)):
        for name in CLASSES:
            (root / split / name).mkdir(parents=True)
            for index in range(count):
                Image.fromarray(_draw(name, rng)).save(root / split / name / f'{index}.png')
    return str(root)


def _run(*args: str) -> None:
    """Runs a command in its own process group; on timeout the whole group (torchrun's workers too) is killed."""
    process = subprocess.Popen(args, cwd=REPO, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
    assert process.returncode == 0, output[-4000:]


@pytest.fixture(scope='module')
def two_process_run(odd_data, tmp_path_factory):
    tmp = tmp_path_factory.mktemp('multi_process')
    cfg = tiny_adaptive_config(odd_data, max_epochs=EPOCHS, batch_size=BATCH_PER_PROCESS)
    cfg.val_dataloader.batch_size = 2  # uneven batches on each process too
    cfg.test_dataloader = cfg.val_dataloader
    cfg.custom_imports = dict(imports=['tests.reliability.evaluated_samples_metric'], allow_failed_imports=False)
    cfg.val_evaluator = [cfg.val_evaluator, dict(type='EvaluatedSamples')]
    cfg.test_evaluator = cfg.val_evaluator
    config = str(tmp / 'tiny_adaptive_ddp.py')
    cfg.dump(config)
    work_dir = tmp / 'work'
    torchrun = osp.join(osp.dirname(sys.executable), 'torchrun')
    _run(torchrun, '--standalone', f'--nproc_per_node={PROCESSES}', 'tools/train.py', config,
         '--launcher', 'pytorch', '--work-dir', str(work_dir))
    summary = json.loads((work_dir / 'summary.json').read_text())
    history = json.loads((work_dir / 'history.json').read_text())
    return dict(config=config, work_dir=work_dir, summary=summary, history=history, tmp=tmp)


def test_every_validation_saw_each_val_image_once(two_process_run):
    size = len(CLASSES) * VAL_PER_CLASS
    assert [record['epoch'] for record in two_process_run['history']] == list(range(1, EPOCHS + 1))
    for record in two_process_run['history']:
        assert record['val']['evaluated'] == record['val']['distinct_images'] == size


def test_the_run_trained_both_students_with_sam_on_two_processes(two_process_run):
    checkpoint = load_checkpoint_file(two_process_run['summary']['best_checkpoint'])
    assert any(key.startswith('slow.') for key in checkpoint['state_dict'])
    log = next(osp.join(root, name) for root, _, names in os.walk(two_process_run['work_dir'])
               for name in names if name.endswith('.log'))
    with open(log) as stream:
        text = stream.read()
    assert 'world_size: 2' in text or 'Distributed launcher: pytorch' in text, text[:3000]
    assert len(checkpoint['random_state']) == PROCESSES  # one generator state per process


def test_summary_metrics_equal_a_single_process_evaluation(two_process_run):
    out = two_process_run['tmp'] / 'single_process.json'
    _run(sys.executable, 'tools/test.py', two_process_run['config'], two_process_run['summary']['best_checkpoint'],
         '--out', str(out), '--work-dir', str(two_process_run['tmp'] / 'test'))
    single = json.loads(out.read_text())['metrics']
    best = two_process_run['summary']['best_metrics']
    assert set(single) == set(best)
    for key, value in best.items():
        assert single[key] == pytest.approx(value, abs=1e-6), key


def _free_port() -> int:
    import socket
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def test_two_nodes_train_the_same_weights_as_two_processes_on_one_node(two_process_run):
    """``torchrun --nnodes 2 --nproc_per_node 1 --rdzv-backend c10d`` started twice on this machine (two "nodes",
    each with its own work dir, as on two machines) trains the weights of the 2-process single-node run."""
    torchrun = osp.join(osp.dirname(sys.executable), 'torchrun')
    endpoint = f'127.0.0.1:{_free_port()}'
    nodes = []
    for name in ('node_a', 'node_b'):
        work_dir = two_process_run['tmp'] / name
        command = [torchrun, '--nnodes=2', '--nproc_per_node=1', '--rdzv-backend=c10d', f'--rdzv-endpoint={endpoint}',
                   '--rdzv-id=adaptcls-test', 'tools/train.py', two_process_run['config'], '--launcher', 'pytorch',
                   '--work-dir', str(work_dir)]
        nodes.append((work_dir, subprocess.Popen(command, cwd=REPO, env=ENV, stdout=subprocess.PIPE,
                                                 stderr=subprocess.STDOUT, text=True, start_new_session=True)))
    outputs = []
    for _, process in nodes:
        try:
            outputs.append(process.communicate(timeout=TIMEOUT_S)[0])
        except subprocess.TimeoutExpired:
            for _, other in nodes:
                os.killpg(other.pid, signal.SIGKILL)
            raise
        assert process.returncode == 0, outputs[-1][-4000:]
    written = [work_dir for work_dir, _ in nodes if (work_dir / f'epoch_{EPOCHS}.pth').is_file()]
    assert len(written) == 1  # rank 0's node writes the checkpoints
    two_nodes = load_checkpoint_file(str(written[0] / f'epoch_{EPOCHS}.pth'))['state_dict']
    one_node = load_checkpoint_file(str(two_process_run['work_dir'] / f'epoch_{EPOCHS}.pth'))['state_dict']
    assert set(two_nodes) == set(one_node)
    for key, value in one_node.items():
        assert np.array_equal(two_nodes[key].numpy(), value.numpy()), key
