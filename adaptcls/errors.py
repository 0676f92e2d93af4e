"""The project's own error types: what a user can fix, told apart from defects.

The command-line tools (``adaptcls.cli.cli_errors.run_cli``) print a :class:`UserInputError` as one line and exit
with status 2; any exception that is not one of the project's user errors is a defect (one line, the traceback in a
crash file, exit 1), even when it is a ``ValueError`` or ``KeyError`` raised by a library. Raise it where an input (a
config value, an option, a file a user gave or that a run wrote) is checked, with a message that names the input and
the fix.
"""


class UserInputError(ValueError):
    """An input the user can fix: a config key or value, a command-line option, a file or folder.

    A ``ValueError`` so that code catching invalid values (``except ValueError``) keeps catching it.
    """
