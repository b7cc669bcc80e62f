"""The systemd units start: `systemd-analyze verify` accepts them, and their commands run as an
unprivileged uid against folders laid out as systemd lays them out for the unit
(ConfigurationDirectory root:root with the unit's mode, StateDirectory owned by the service
user). systemd is not PID 1 on the test machines, so the service user is played by uid 65534
through setpriv; the folders, modes and commands are read from the unit files themselves."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
UNITS = ["ingestd.service", "ingestd-web.service"]
NOBODY = 65534


def unit(name: str) -> configparser.ConfigParser:
    cp = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    cp.optionxform = str  # type: ignore[assignment,method-assign]
    cp.read(REPO / "systemd" / name, encoding="utf-8")
    return cp


def local(text: str) -> str:
    """The unit's command with /opt/ingestd (the documented install) pointing at this checkout."""
    return text.replace("/opt/ingestd/.venv/bin/ingestd", str(Path(sys.executable).parent / "ingestd"))


@pytest.mark.parametrize("name", UNITS)
def test_systemd_analyze_verify_accepts_the_unit(name, tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.fail("systemd-analyze is missing (Debian package systemd)")
    copy = tmp_path / name
    copy.write_text(local((REPO / "systemd" / name).read_text(encoding="utf-8")), encoding="utf-8")
    res = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True, text=True,
                         timeout=60)
    problems = [ln for ln in res.stderr.splitlines() if name in ln or "Unknown" in ln]
    assert res.returncode == 0 and not problems, res.stderr


def _as_service_user(cmd: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                           "--", *cmd], capture_output=True, text=True, env=env, timeout=300)


def _production_config(etc: Path, state: Path) -> str:
    """systemd/config.production.toml with its folders moved here, without the [[imap]] and
    [smtp] sections (they need a mail server and secrets)."""
    text = (REPO / "systemd" / "config.production.toml").read_text(encoding="utf-8")
    text = text.replace("/etc/ingestd", str(etc)).replace("/var/lib/ingestd", str(state))
    text = text.replace('path = "/var/spool/edxml"', f'path = "{state}/gateway"')
    kept, skipping = [], False
    for line in text.splitlines():
        if line.startswith("["):
            skipping = line.startswith(("[[imap]]", "[smtp]"))
        if not skipping:
            kept.append(line)
    return "\n".join(kept) + "\n"


@pytest.fixture
def laid_out():
    """/etc/ingestd and /var/lib/ingestd as systemd would make them for ingestd.service."""
    if os.geteuid() != 0:
        pytest.fail("this test plays systemd: it needs root (CI runs as root)")
    svc = unit("ingestd.service")["Service"]
    root = Path(tempfile.mkdtemp(prefix="ingestd-unit-"))
    root.chmod(0o755)
    etc, state = root / "etc", root / "state"
    etc.mkdir(mode=0o700)
    etc.chmod(int(svc["ConfigurationDirectoryMode"], 8))          # root:root, the unit's mode
    state.mkdir()
    state.chmod(int(svc["StateDirectoryMode"], 8))
    os.chown(state, NOBODY, NOBODY)                                 # systemd chowns it
    shutil.copytree(REPO / "rules", etc / "rules")
    (etc / "config.toml").write_text(_production_config(etc, state), encoding="utf-8")
    (state / "gateway").mkdir()
    os.chown(state / "gateway", NOBODY, NOBODY)
    for p in etc.rglob("*"):                        # as `cp` leaves them under umask 022
        p.chmod(0o755 if p.is_dir() else 0o644)
    env = {"PATH": "/usr/bin:/bin", "INGESTD_CONFIG": str(etc / "config.toml"), "HOME": str(state)}
    try:
        yield svc, etc, state, env
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_the_service_user_can_run_the_units_commands(laid_out):
    svc, etc, state, env = laid_out
    python = Path(sys.executable)
    probe = _as_service_user([str(python), "-c", "print('ok')"], env)
    if probe.returncode != 0:       # the machine, not ingestd: reported as skipped, not passed
        pytest.skip(f"uid {NOBODY} cannot run this checkout's Python ({python}) here; make its "
                    f"folders readable to others to run this test: {probe.stderr.strip()}")
    pre = local(svc["ExecStartPre"]).split()
    res = _as_service_user(pre, env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "OK:" in res.stdout
    start = local(svc["ExecStart"]).split() + ["--once", "--at", "2019-06-28T09:00:00+07:00"]
    res = _as_service_user(start, env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert (state / "ingestd.db").exists() and (state / "ingestd.db").stat().st_uid == NOBODY
    web = unit("ingestd-web.service")["Service"]
    assert web["User"] == svc["User"] == "ingestd"          # one dynamic user: one database
    assert web["StateDirectory"] == svc["StateDirectory"]


def test_a_0750_root_config_folder_would_not_start(laid_out):
    """Why the unit says 0755: the layout the issue found cannot be read by the service."""
    svc, etc, state, env = laid_out
    etc.chmod(0o750)
    res = _as_service_user(local(svc["ExecStartPre"]).split(), env)
    assert res.returncode != 0
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize("name", UNITS)
def test_each_unit_bounds_its_open_files(name):
    text = (REPO / "systemd" / name).read_text(encoding="utf-8")
    limits = [int(v) for v in re.findall(r"^LimitNOFILE=(\d+)$", text, re.M)]
    assert limits and 1024 <= limits[0] <= 65536
