"""Initial learning-rate estimation (recipe.md): Optuna TPE and grid searches, fast.ai-style range test.

Names are imported on first use (PEP 562): ``adaptcls lr-search --help`` reads the settings' defaults without
importing torch or Optuna. Importing a module registers what it defines (e.g. ``LRRangeTestLoop``,
``TrialReportHook``); ``adaptcls.setup_env.register_all_modules`` imports them all. The function
``run_lr_search`` is imported from its module (``adaptcls.lr_search.run_lr_search``), whose name it shares.
"""
from adaptcls.utils.lazy_exports import lazy_getattr

_MODULE_OF = {
    'LRRangeTest': 'lr_range_sweep',
    'LRRangeTestLoop': 'lr_range_sweep_loop',
    'LRSearchOutcome': 'run_lr_search',
    'LRSearchSettings': 'lr_search_settings',
    'OptunaLRSearch': 'optuna_lr_search',
    'RangeTestCurve': 'lr_range_sweep',
    'RunnerTrialTrainer': 'runner_trial_trainer',
    'SEARCH_MODES': 'lr_search_settings',
    'SUGGESTION_RULES': 'lr_search_settings',
    'SmoothedLoss': 'lr_suggestions',
    'TrialReportHook': 'trial_report_hook',
    'apply_auto_lr': 'run_lr_search',
    'auto_lr_mode': 'run_lr_search',
    'default_storage_url': 'optuna_storage',
    'describe_storage': 'optuna_storage',
    'lr_grid': 'optuna_lr_search',
    'open_storage': 'optuna_storage',
    'range_test_config': 'search_configs',
    'restored_training_state': 'lr_range_sweep',
    'steepest_descent_index': 'lr_suggestions',
    'suggest_index': 'lr_suggestions',
    'trial_config': 'search_configs',
    'trial_setting_keys': 'lr_search_settings',
    'valley_index': 'lr_suggestions',
}

__all__ = sorted(_MODULE_OF)

__getattr__ = lazy_getattr(__name__, _MODULE_OF)
