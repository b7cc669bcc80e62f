"""Importing this registers every sub-command."""

from ingestd.cli import admin, notify_cmds, ops, register, status_cmd  # noqa: F401
