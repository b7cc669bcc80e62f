"""Directives noticed in what the Office sends: an outgoing IMAP folder on a real Dovecot gives
one draft per directive (never twice, never a receipt); the digest names it; an admin saves it
from the console (CSRF, the admin role, the audit line; refused when check fails, the file
exists or the name is not a plain file name)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from test_imap import Mailbox
from webclient import PASSWORD, client, csrf_of

from ingestd.drafting.outgoing import draft_pending
from ingestd.rules import load_rules
from ingestd.store.accounts import Accounts
from ingestd.store.drafts_repo import DraftsRepo, OutgoingStore
from ingestd.testing import Mail
from ingestd.testing_directives import corpus, to_pdf

REPO = Path(__file__).resolve().parent.parent
PROVINCE = "Lai Châu"                 # the bundled rules' province
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _directive_mail(case, names, n: int = 1) -> bytes:
    return Mail("vanthu@laichau.gov.vn", f"Văn bản số {case.number}", "Văn phòng gửi văn bản.",
                to="tonghop@laichau.gov.vn", message_id=f"out-{n}@laichau.gov.vn",
                attachments=[("vanban.pdf", to_pdf(case, names))]).build()


@pytest.fixture(scope="module")
def case_and_names():
    book = load_rules(REPO / "rules")
    names = {u.id: u.name for u in book.units.values()}
    return corpus(book.units, book.groups, PROVINCE)[2], names


def test_a_directive_sent_gives_one_draft_never_twice_and_never_a_receipt(project, cli, dovecot,
                                                                          monkeypatch, case_and_names):
    case, names = case_and_names
    box = Mailbox(dovecot)
    monkeypatch.setenv("INGESTD_TEST_IMAP", box.password)
    with box.client() as c:
        c.create_folder("Sent")
        c.append("Sent", _directive_mail(case, names, 1), msg_time=datetime.now(TZ))
        c.append("Sent", Mail("vanthu@laichau.gov.vn", "Giấy mời họp", "Kính mời dự họp.",
                              message_id="out-2@laichau.gov.vn").build(), msg_time=datetime.now(TZ))
    box.config(project, folder="Sent")
    project.config.write_text(project.config.read_text().replace(
        'after_fetch = "keep"', 'after_fetch = "keep"\noutgoing = true'))
    for _ in range(2):                              # polled twice: still one of each
        code, out, err = cli(project, "fetch")
        assert code == 0, out + err
    svc = project.services()
    try:
        repo = DraftsRepo(svc.store)
        [offered] = repo.offered()
        assert offered.number == case.number and offered.doc_date == case.signed
        assert "[[report]]" in (offered.toml or "")
        assert {r.state for r in repo.recent()} == {"not_directive"}    # the invitation
        assert svc.store.receipts() == []                               # nothing counted
        with box.client() as c:                  # the same directive sent again (another copy)
            c.append("Sent", _directive_mail(case, names, 3), msg_time=datetime.now(TZ))
    finally:
        svc.close()
    code, out, err = cli(project, "fetch")
    assert code == 0, out + err
    svc = project.services()
    try:
        repo = DraftsRepo(svc.store)
        assert len(repo.offered()) == 1
        assert sorted(r.state for r in repo.recent()) == ["duplicate", "not_directive"]
        from ingestd.notify.digest import build_digest

        digest = build_digest(svc, datetime.now(TZ))
        assert "VĂN BẢN CHỈ ĐẠO CHỜ LẬP QUY TẮC: 1" in digest.text and case.number in digest.text
        assert "1 văn bản chỉ đạo chờ lập quy tắc" in digest.text
    finally:
        svc.close()


def test_an_outgoing_folder_is_only_read(project, cli):
    project.write_config("""
        [[imap]]
        name = "di"
        host = "127.0.0.1"
        security = "none"
        username = "u"
        password_env = "X"
        folders = ["Sent"]
        outgoing = true
        after_fetch = "move:Done"
        """)
    code, out, err = cli(project, "check")
    assert code != 0 and "outgoing = true" in err and "config.toml:" in err


# -- the console -----------------------------------------------------------------------------

@pytest.fixture
def drafted(project, case_and_names):
    """A project whose outgoing folder gave one draft; accounts of each role."""
    case, names = case_and_names
    svc = project.services()
    try:
        OutgoingStore(svc.store).add_raw("imap:di/Sent", _directive_mail(case, names), datetime.now(TZ))
        draft_pending(svc.store, svc.rules, svc.settings.limits)
        for name, role in (("clerk", "clerk"), ("admin", "admin")):
            Accounts(svc.store).add(name, role, PASSWORD)
        [row] = DraftsRepo(svc.store).offered()
        return project, case, row
    finally:
        svc.close()


def test_only_admins_see_and_save_drafts(drafted):
    project, case, row = drafted
    clerk = client(project, "clerk")
    assert clerk.get("/drafts").status_code == 403
    admin = client(project, "admin")
    page = admin.get("/drafts")
    assert page.status_code == 200 and case.number in page.text
    token = csrf_of(clerk.get("/").text)
    refused = clerk.post(f"/drafts/{row.id}/save", data={"csrf_token": token, "toml": row.toml,
                                                        "file_name": "x.toml"})
    assert refused.status_code == 403
    assert admin.post(f"/drafts/{row.id}/save", data={"toml": row.toml, "file_name": "x.toml"},
                      follow_redirects=False).status_code == 403          # no CSRF token
    assert not (project.rules / "directives" / "x.toml").exists()


def test_save_refuses_what_check_refuses_a_taken_name_and_a_path(drafted):
    project, case, row = drafted
    admin = client(project, "admin")
    page = admin.get(f"/drafts/{row.id}")
    token = csrf_of(page.text)
    assert "«" in page.text                                              # the evidence quoted
    broken = "\n".join(line for line in row.toml.splitlines() if not line.startswith("units ="))
    r = admin.post(f"/drafts/{row.id}/save", data={"csrf_token": token, "toml": broken,
                                                  "file_name": "moi.toml"})
    assert r.status_code == 400 and "không nêu đơn vị nào" in r.text and "directives/moi.toml" in r.text
    assert not (project.rules / "directives" / "moi.toml").exists()
    for name, why in (("760-UBND-TH.toml", "đã có"), ("../config.toml", "không hợp lệ"),
                      ("a/b.toml", "không hợp lệ")):
        r = admin.post(f"/drafts/{row.id}/save", data={"csrf_token": token, "toml": row.toml,
                                                      "file_name": name})
        assert r.status_code == 400 and why in r.text, name
    assert (project.rules / "directives" / "760-UBND-TH.toml").read_text().startswith("[directive]")


def test_an_admin_saves_a_draft_and_the_rules_track_it(drafted):
    project, case, row = drafted
    admin = client(project, "admin")
    token = csrf_of(admin.get(f"/drafts/{row.id}").text)
    r = admin.post(f"/drafts/{row.id}/save", data={"csrf_token": token, "toml": row.toml,
                                                  "file_name": "moi.toml"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert "Đã lưu" in admin.get(r.headers["location"]).text
    saved = project.rules / "directives" / "moi.toml"
    assert saved.read_text(encoding="utf-8") == row.toml
    book = load_rules(project.rules)
    assert any(d.number == case.number for d in book.directives)
    svc = project.services()
    try:
        got = DraftsRepo(svc.store).get(row.id)
        assert got.state == "saved" and got.saved_by == "admin" and got.saved_file == "directives/moi.toml"
        [event] = [e for e in svc.store.health.events(datetime(2000, 1, 1, tzinfo=TZ)) if e.kind == "directive_saved"]
        assert "admin" in event.message and "moi.toml" in event.message
    finally:
        svc.close()
    again = admin.post(f"/drafts/{row.id}/save", data={"csrf_token": token, "toml": row.toml,
                                                      "file_name": "khac.toml"})
    assert again.status_code == 400 and "không còn chờ lưu" in again.text
    assert json.loads(got.evidence)["sentences"]


def test_the_daemon_picks_up_a_saved_draft_without_a_signal(drafted):
    from ingestd.config import load_settings
    from ingestd.daemon import Daemon

    project, case, row = drafted
    daemon = Daemon(load_settings(project.config))
    try:
        assert daemon.watch_rules() is False                     # nothing changed
        (project.rules / "directives" / "moi.toml").write_text(row.toml, encoding="utf-8")
        assert daemon.watch_rules() is True
        assert any(d.number == case.number for d in daemon.svc.rules.directives)
    finally:
        daemon.svc.close()
