"""Markdown tables and bar charts of benchmarks/make_report.py."""
