"""The lines tools/train.py prints at the end of a run say where the learning rate came from."""
from adaptcls.cli.run_report import run_report

SUMMARY = dict(stopped_early=False, epochs_run=3, max_epochs=3, stop_reason='max_epochs reached',
               best_metrics=dict(top1=0.5, mAP=0.6), best_epoch=3, wall_time_s=10.0)


def test_a_searched_lr_is_reported_with_its_cost():
    search = dict(mode='range_test', chosen_lr=0.008, total_trained_epochs=3.0, wall_time_s=42.0, result_file='r.json')
    report = run_report(dict(SUMMARY, lr_search=search), 'c.py', 's.json', export_hint=False)
    assert 'Learning rate 0.008, chosen by the range_test LR search (3.0 epochs, 42 s; r.json).' in report


def test_an_lr_search_stopped_for_time_reports_the_configs_lr():
    search = dict(mode='range_test', chosen_lr=0.01, total_trained_epochs=0.06, wall_time_s=13.0,
                  stopped_for_time='the range test would take about 575 s, over its 75 s')
    report = run_report(dict(SUMMARY, lr_search=search), 'c.py', 's.json', export_hint=False)
    assert ("Learning rate 0.01, the config's: the range_test LR search stopped after 13 s (the range test would take "
            'about 575 s, over its 75 s).') in report and 'chosen by' not in report
