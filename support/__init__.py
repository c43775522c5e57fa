"""Tested implementations behind the reproducible ML paper notebooks."""

__version__ = "0.1.0"
