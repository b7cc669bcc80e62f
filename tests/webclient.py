"""The console through Starlette's test client, as the web tests drive it."""

from __future__ import annotations

import contextlib
import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from starlette.testclient import TestClient

from ingestd.cli.main import main
from ingestd.config import load_settings
from ingestd.store.accounts import Accounts
from ingestd.web.app import create_app

AT = datetime(2019, 6, 28, 9, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
PASSWORD = "mat-khau-du-dai-1"


def run_cli(project, *args: str) -> tuple[int, str, str]:
    """The CLI in-process without pytest's capsys (the console fixtures are module-scoped)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--config", str(project.config), *args])
    return code, out.getvalue(), err.getvalue()


def sample_console(root, sample_dir, accounts=(("viewer", "viewer"), ("clerk", "clerk"),
                                              ("admin", "admin"))):
    """The sample province, loaded once, with the given (name, role) accounts."""
    from conftest import Project

    project = Project(root)
    project.load_sample(run_cli, sample_dir)
    svc = project.services()
    for name, role in accounts:
        Accounts(svc.store).add(name, role, PASSWORD)
    svc.close()
    return project


def client(project, user: str | None = None, **kw) -> TestClient:
    c = TestClient(create_app(load_settings(project.config), AT), **kw)
    if user:
        assert login(c, user).status_code == 303
    return c


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(c: TestClient, user: str, password: str = PASSWORD, headers: dict | None = None,
          next_page: str = "/"):
    token = csrf_of(c.get("/login").text)
    return c.post("/login", data={"username": user, "password": password, "csrf_token": token,
                                  "next": next_page}, headers=headers or {}, follow_redirects=False)
