"""A TPE search process whose trials are a cheap synthetic function of lr (for the multi-process tests).

``python -m tests.lr_search.synthetic_search_worker --storage URL --log FILE [...]``: the same
``OptunaLRSearch`` as tools/lr_search.py, with a ``train_trial`` that sleeps per "epoch" and appends
``start|done <pid> <trial> <lr>`` lines to FILE.
"""
import argparse
import os
import time

from adaptcls.lr_search import LRSearchSettings, OptunaLRSearch

OPTIMUM = 0.05


def synthetic_score(lr: float, epoch: int) -> float:
    """Rises with the epoch; peaks at lr = OPTIMUM."""
    return 1.0 - abs(lr - OPTIMUM) * 5 - 0.1 / epoch


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--storage', required=True)
    parser.add_argument('--log', required=True)
    parser.add_argument('--trials', type=int, default=6)
    parser.add_argument('--epochs', type=int, default=2)
    parser.add_argument('--epoch-seconds', type=float, default=0.3)
    parser.add_argument('--wait-for', help='start searching once this file exists')
    parser.add_argument('--heartbeat-interval', type=int, default=60)
    parser.add_argument('--grace-period', type=int, default=180)
    parser.add_argument('--startup-trials', type=int, default=5)
    args = parser.parse_args()

    def log(event: str, trial: int, lr: float) -> None:
        with open(args.log, 'a') as stream:
            stream.write(f'{event} {os.getpid()} {trial} {lr}\n')

    def train_trial(lr, trial, epochs, report):
        log('start', trial, lr)
        for epoch in range(1, epochs + 1):
            time.sleep(args.epoch_seconds)
            report(epoch, synthetic_score(lr, epoch))
        log('done', trial, lr)

    settings = LRSearchSettings(lr_range=(0.001, 0.1), lr_step=0.001, tpe_trials=args.trials,
                                tpe_epochs=args.epochs, pruner_startup_trials=args.trials,
                                tpe_startup_trials=args.startup_trials, heartbeat_interval=args.heartbeat_interval,
                                heartbeat_grace_period=args.grace_period)
    search = OptunaLRSearch(train_trial, settings, 'tpe', args.storage, 'synthetic', seed=0)
    log('ready', -1, 0.0)
    while args.wait_for and not os.path.exists(args.wait_for):
        time.sleep(0.05)
    search.run()


if __name__ == '__main__':
    main()
