"""Importing this registers every sub-command."""

from ingestd.cli import admin, notify_cmds, ops, register, report_cmd, status_cmd, web_cmd  # noqa: F401
