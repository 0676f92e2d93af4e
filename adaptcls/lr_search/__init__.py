"""Initial learning-rate estimation (recipe.md): Optuna TPE and grid searches, fast.ai-style range test."""
from .lr_range_sweep import LRRangeTest, RangeTestCurve, restored_training_state
from .lr_range_sweep_loop import LRRangeTestLoop
from .lr_search_settings import SEARCH_MODES, SUGGESTION_RULES, LRSearchSettings, trial_setting_keys
from .lr_suggestions import SmoothedLoss, steepest_descent_index, suggest_index, valley_index
from .optuna_lr_search import OptunaLRSearch, lr_grid
from .optuna_storage import default_storage_url, describe_storage, open_storage
from .run_lr_search import LRSearchOutcome, apply_auto_lr, auto_lr_mode, run_lr_search
from .runner_trial_trainer import RunnerTrialTrainer
from .search_configs import range_test_config, trial_config
from .trial_report_hook import TrialReportHook

__all__ = [
    'LRRangeTest', 'RangeTestCurve', 'restored_training_state', 'LRRangeTestLoop', 'SEARCH_MODES',
    'SUGGESTION_RULES', 'LRSearchSettings', 'trial_setting_keys', 'SmoothedLoss', 'steepest_descent_index',
    'suggest_index', 'valley_index', 'OptunaLRSearch', 'lr_grid', 'default_storage_url', 'describe_storage',
    'open_storage', 'LRSearchOutcome', 'apply_auto_lr', 'auto_lr_mode', 'run_lr_search', 'RunnerTrialTrainer',
    'range_test_config', 'trial_config', 'TrialReportHook'
]
