"""`tools/train.py configs/mnv3_large_adaptive.py --data-root ...` runs end to end (the LR range test the config
asks for, SAM, mutual learning, AugMix, warmup + ReduceLROnPlateauV2), shrunk on the command line: untrained weights
(no hub in tests), 32 px, 2 epochs."""
import json
import os.path as osp
import subprocess
import sys

from adaptcls.utils.checkpoint_safety import install_checkpoint_safety, load_checkpoint_file
from tests.tools.conftest import REPO

SHRINK = [
    'model.fast.backbone.pretrained=False', 'model.slow.backbone.pretrained=False',
    'train_dataloader.dataset.pipeline.2.size=32', 'val_dataloader.dataset.pipeline.1.size=32',
    'test_dataloader.dataset.pipeline.1.size=32',  # val and test at one size (another is refused)
    'train_dataloader.batch_size=8', 'val_dataloader.batch_size=8',
    'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False', 'val_dataloader.persistent_workers=False',
    'train_cfg.max_epochs=2',
]


def test_mnv3_large_adaptive_trains_from_the_command_line(tiny_data, tmp_path):
    work_dir = tmp_path / 'work'
    process = subprocess.run(
        [sys.executable, 'tools/train.py', 'configs/mnv3_large_adaptive.py', '--data-root', tiny_data,
         '--work-dir', str(work_dir), '--cfg-options', *SHRINK],
        cwd=REPO, capture_output=True, text=True, timeout=600)
    assert process.returncode == 0, process.stderr[-3000:]
    summary = json.loads((work_dir / 'summary.json').read_text())
    assert summary['epochs_run'] == 2 and summary['num_classes'] == 3 and summary['pretrained'] == 'none'
    install_checkpoint_safety()
    checkpoint = load_checkpoint_file(summary['best_checkpoint'])
    state = checkpoint['state_dict']
    assert any(key.startswith('fast.') for key in state) and any(key.startswith('slow.') for key in state)
    assert 'ReduceLROnPlateauV2' in json.dumps(checkpoint.get('adaptcls_hooks', {}))
    search = summary['lr_search']  # no --auto-lr option: the config's lr_search.auto_lr asked for it
    assert search['mode'] == 'range_test' and 0.005 <= search['chosen_lr'] <= 0.029
    result = json.loads(open(search['result_file']).read())
    assert result['iterations_per_epoch'] == 3 and (result['iterations_run'] == 100 or result['diverged'])
    history = json.loads((work_dir / 'history.json').read_text())
    assert history[0]['lr'] < history[1]['lr'] <= search['chosen_lr']  # warming up towards the searched lr
    assert 'Learning rate' in process.stdout and 'Export it' in process.stdout  # the short human report
    best = f"{work_dir / 'best.pth'} (= {osp.basename(summary['best_checkpoint'])})"
    assert f'Model: {best}' in process.stdout and osp.samefile(work_dir / 'best.pth', summary['best_checkpoint'])
    assert osp.isfile(work_dir / 'training_curves.png')
