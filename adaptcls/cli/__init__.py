"""Helpers of the command-line tools: error reporting, option parsing, the end-of-run report."""
