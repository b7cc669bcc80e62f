"""The `ingestd` program as a shell runs it: a separate process, output through a pipe. The
program ends without Python's teardown (``cli.main.run``); what teardown would have done must
still happen: all output reaches the reader, exit codes are the command's, exit handlers run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import Cli, Project


def program(project: Project, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ingestd", "--config", str(project.config),
                           *args], capture_output=True, text=True, timeout=120)


def test_the_whole_output_reaches_a_pipe(project: Project, cli: Cli, sample_dir: Path) -> None:
    project.load_sample(cli, sample_dir)
    args = ("status", "--at", "2019-12-31", "--format", "csv")
    code, expected, _ = cli(project, *args)
    res = program(project, *args)
    assert code == 0 and res.returncode == 0, res.stderr
    assert res.stdout == expected and res.stdout.count("\n") > 100


def test_exit_codes_are_the_commands(project: Project) -> None:
    missing = program(project, "status", "--report", "khong-co")
    assert missing.returncode == 1 and 'không có báo cáo "khong-co"' in missing.stderr
    usage = program(project, "status", "--period", "quý hai")
    assert usage.returncode == 2 and "không phải kỳ báo cáo" in usage.stderr
    assert "Traceback" not in missing.stderr + usage.stderr


def test_exit_handlers_run_before_the_process_ends(tmp_path: Path) -> None:
    """Thread pools join and temporary folders go away in exit handlers; ending the process
    early must not skip them."""
    mark = tmp_path / "ran"
    code = (f"import atexit, pathlib, sys; sys.argv = ['ingestd', '--help']\n"
            f"atexit.register(pathlib.Path({str(mark)!r}).write_text, 'yes')\n"
            "from ingestd.cli import main\n"
            "main.main = lambda: 0\n"
            "main.run()\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert mark.read_text() == "yes"


def test_help_does_not_load_the_database_or_the_web() -> None:
    code = ("import sys\nfrom ingestd.cli.main import build_parser\nbuild_parser()\n"
            "print(sorted(m for m in ('sqlalchemy', 'sqlmodel', 'starlette', 'pypdfium2', "
            "'structlog') if m in sys.modules))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and res.stdout.strip() == "[]", res.stdout + res.stderr
