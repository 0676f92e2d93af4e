"""A user's notebook in one Python process: train with the image cache and forked DataLoader workers, export (ONNX,
FP32 and INT8 IR, the latency table, the report), predict from the IR and from the checkpoint, train again. Run in a
fresh interpreter, so that a native crash (exit -11: OpenVINO's freed signal stack, tests/reliability/
test_signal_stack.py) fails this test and nothing else."""
import os
import subprocess
import sys

from tests.deployment import shared_model

REPO = shared_model.REPO
NOTEBOOK = '''
import glob, os, subprocess, sys
from adaptcls.apis import Classifier
from adaptcls.cli.train import main as train
from tests.deployment.shared_model import tiny_config

data, out = sys.argv[1], sys.argv[2]
cfg = tiny_config()
cfg.train_cfg.update(max_epochs=2, val_interval=1)
cfg.param_scheduler = []
cfg.train_dataloader.update(num_workers=2, persistent_workers=True)  # forked workers: torch's SIGCHLD handler
cfg.train_dataloader.dataset.cache = dict(max_mb=64)
config = os.path.join(out, 'notebook.py')
cfg.dump(config)
train([config, '--data-root', data, '--work-dir', os.path.join(out, 'first'), '--export'])
images = sorted(glob.glob(os.path.join(data, 'val', '*', '*.png')))[:8]
from_ir = Classifier.from_ir(os.path.join(out, 'first', 'export', 'model_int8.xml')).predict(images, topk=1)
from_checkpoint = Classifier.from_checkpoint(os.path.join(out, 'first', 'best.pth')).predict(images, topk=1)
assert len(from_ir) == len(from_checkpoint) == len(images)
train([config, '--data-root', data, '--work-dir', os.path.join(out, 'second')])
for _ in range(10):
    subprocess.run(['true'])  # more SIGCHLD, delivered on the main thread's alternate signal stack
print('notebook finished')
'''


def test_train_export_predict_and_train_again_in_one_process(tmp_path_factory, tmp_path):
    data = shared_model.digits_data(tmp_path_factory)
    done = subprocess.run([sys.executable, '-c', NOTEBOOK, data, str(tmp_path)], cwd=REPO, capture_output=True,
                          text=True, timeout=1200, env=dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=REPO))
    assert done.returncode == 0, f'exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}'
    assert 'notebook finished' in done.stdout
    assert os.path.isfile(tmp_path / 'second' / 'summary.json')
