"""Shared fixtures: projects (config + rules in a temp folder), the CLI, real servers."""

from __future__ import annotations

import json
import os
import shutil
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from servers import Dovecot, Postgres, SmtpSink  # noqa: E402

from ingestd.cli.main import main  # noqa: E402
from ingestd.config import load_settings  # noqa: E402
from ingestd.services import Services, open_services  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


class Project:
    """A config.toml + rules/ in a temp folder, like an admin's installation."""

    def __init__(self, root: Path, database_url: str | None = None, extra: str = "",
                 rules: Path | None = REPO / "rules"):
        self.root = root
        self.rules = root / "rules"
        if rules is not None:
            shutil.copytree(rules, self.rules)
        else:
            (self.rules / "directives").mkdir(parents=True)
        self.database_url = database_url or "sqlite:///var/ingestd.db"
        self.extra = extra
        self.write_config()

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    def write_config(self, extra: str | None = None) -> None:
        if extra is not None:
            self.extra = extra
        self.config.write_text(textwrap.dedent(f"""\
            timezone = "Asia/Ho_Chi_Minh"
            rules_dir = "rules"
            database_url = "{self.database_url}"
            store_dir = "var/store"
            outbox_dir = "var/outbox"
            workers = 1
            from_address = "Văn phòng UBND tỉnh <vanthu@laichau.gov.vn>"

            [digest]
            time = "07:30"
            to = ["tonghop@laichau.gov.vn"]

            [trust]
            authserv_id = "mail.laichau.gov.vn"
            """) + textwrap.dedent(self.extra), encoding="utf-8")

    def services(self) -> Services:
        return open_services(load_settings(self.config))

    def load_sample(self, cli: Cli, sample: Path, workers: int = 1) -> None:
        """The sample province as production receives it: the Maildir backfilled by import,
        the gateway's drops through a gateway source (an OrganId counts only then)."""
        inbox = self.root / "gateway"
        shutil.copytree(sample / "gateway", inbox)
        old = time.time() - 60
        for f in inbox.iterdir():
            os.utime(f, (old, old))
        self.write_config(self.extra + '\n[[gateway]]\nname = "truc"\nkind = "edxml-dir"\n'
                                       'path = "gateway"\n')
        self.config.write_text(self.config.read_text().replace("workers = 1", f"workers = {workers}"))
        code, out, err = cli(self, "import", str(sample / "Maildir"))
        assert code == 0, err
        code, out, err = cli(self, "fetch")
        assert code == 0 and "3 thư mới" in out, out + err

    def write_rule(self, name: str, text: str) -> Path:
        path = self.rules / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path


class Cli:
    def __init__(self, capsys: pytest.CaptureFixture[str]):
        self.capsys = capsys

    def __call__(self, project: Project, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        try:
            code = main(["--config", str(project.config), *args])
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = self.capsys.readouterr()
        return code, out.out, out.err

    def json(self, project: Project, *args: str) -> object:
        code, out, err = self(project, *args, "--format", "json")
        assert code == 0, err
        return json.loads(out)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(capsys)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    pg = Postgres()
    try:
        yield pg
    finally:
        pg.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same behaviour tests on SQLite and on a real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/ingestd.db"
    return request.getfixturevalue("postgres").new_database()


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    server = Dovecot()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return REPO / "samples" / "laichau-2019"
