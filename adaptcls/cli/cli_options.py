"""Command-line option parsing shared by the tools."""
from mmengine.config import DictAction


class CfgOptionsAction(DictAction):
    """mmengine's ``DictAction`` for ``--cfg-options KEY=VALUE ...``, with a clear message for an item without
    ``=`` (mmengine raises "not enough values to unpack")."""

    def __call__(self, parser, namespace, values, option_string=None):
        for item in values:
            key, separator, _ = item.partition('=')
            if not separator or not key:
                parser.error(f'{option_string} takes KEY=VALUE items (e.g. train_cfg.max_epochs=10); got "{item}"')
        super().__call__(parser, namespace, values, option_string)

