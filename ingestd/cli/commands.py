"""Importing this registers every sub-command."""

from ingestd.cli import admin, register, status_cmd  # noqa: F401
