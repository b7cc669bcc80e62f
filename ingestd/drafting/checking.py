"""Would the rules folder be accepted with this draft in it? The draft is loaded with a copy of
the folder (links copied as links), never in the folder itself, so a half-filled draft cannot
stop the daemon; problems name the file as it would stand in ``rules/directives/``."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from ingestd.errors import Problem, RulesError
from ingestd.tomlfile import display_path


def problems_with(rules_dir: Path, file_name: str, text: str) -> list[Problem]:
    """Every problem ``check`` would report for the rules folder with ``text`` saved as
    ``rules/directives/<file_name>``; empty when it would be accepted."""
    from ingestd.rules import load_rules

    with tempfile.TemporaryDirectory(prefix="ingestd-draft-") as tmp:
        copy = Path(tmp) / "rules"
        shutil.copytree(rules_dir, copy, symlinks=True)
        (copy / "directives").mkdir(exist_ok=True)
        (copy / "directives" / file_name).write_text(text, encoding="utf-8")
        try:
            load_rules(copy)
        except RulesError as exc:
            shown_tmp, shown_real = display_path(copy), display_path(rules_dir)
            return [replace(p, file=p.file.replace(shown_tmp, shown_real, 1)) for p in exc.problems]
    return []
