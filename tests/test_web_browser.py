"""The console in a real browser: Debian's chromium driven by Playwright, against `ingestd web`
serving the sample province on loopback. A clerk logs in, reads the board, opens the report
sent from a personal Gmail box, assigns it to its unit and sees the board change; a leader
reads the board on a 375 px phone."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
from pathlib import Path

import pytest
from servers import Console

from ingestd.cli.main import main

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
AT = "2019-06-28T09:00:00+07:00"


def _cli(project, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--config", str(project.config), *args])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def server(tmp_path_factory, sample_dir):
    from conftest import Project

    if not os.path.exists(CHROMIUM):
        pytest.fail("chromium is not installed (./scripts/test installs it when run as root)")
    project = Project(tmp_path_factory.mktemp("browser"))
    project.load_sample(_cli, sample_dir)
    pw = project.root / "pw"
    pw.write_text("van-thu-mat-khau-1")
    for name, role in (("vanthu", "clerk"), ("lanhdao", "viewer")):
        assert _cli(project, "user", "add", name, "--role", role, "--password-file", str(pw))[0] == 0
    console = Console(project.config, project.root / "web.log", at=AT)
    try:
        yield console.base
    finally:
        console.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def _log_in(page, base: str, user: str) -> None:
    page.goto(base + "/")
    assert "/login" in page.url
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", "van-thu-mat-khau-1")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def _card(page, number: str) -> str:
    return page.locator("article.card", has=page.locator(f"h2 a:text-is('{number}')")).inner_text()


def test_a_clerk_assigns_the_gmail_report_and_the_board_changes(server, browser):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    _log_in(page, server, "vanthu")
    assert "11/36" in _card(page, "760/UBND-TH")
    page.click("nav >> text=Chờ xem xét")
    item = page.locator("ul.queue li", has_text="gmail.com")
    assert "hộp thư cá nhân Gmail" in item.inner_text()
    item.locator("a").click()
    page.wait_for_url("**/receipts/r-*")
    assert page.locator("form[action$='/assign'] select[name=unit]").input_value() == "so-ldtbxh"
    page.fill("form[action$='/assign'] input[name=reason]", "đã gọi điện xác nhận với Sở")
    page.click("form[action$='/assign'] button[type=submit]")
    page.wait_for_load_state()
    assert "Đã gán cho so-ldtbxh" in page.locator("p.ok").inner_text()
    assert "bởi vanthu" in page.locator("ul.decisions").inner_text()
    page.click("nav >> text=Bảng theo dõi")
    assert "12/36" in _card(page, "760/UBND-TH")
    page.close()


def test_a_leader_reads_the_board_on_a_phone(server, browser):
    phone = browser.new_page(viewport={"width": 375, "height": 740}, device_scale_factor=2,
                             is_mobile=True, has_touch=True)
    _log_in(phone, server, "lanhdao")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways: {width}px"
    card = phone.locator("article.card").first
    box = card.bounding_box()
    assert box and box["width"] <= 375 and box["x"] >= 0
    assert "đơn vị đã gửi" in card.inner_text()
    # a viewer sees no button that changes anything
    phone.goto(server + "/review")
    phone.locator("ul.queue li a").first.click()
    assert phone.locator("form[action$='/assign']").count() == 0
    phone.close()


# -- on a clerk's phone: accessibility, layout, the keyboard -------------------------------------

AXE = REPO / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"viewport": {"width": 375, "height": 740}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True}
PHONE_PAGES = ["/", "/receipts", "/review", "/receipts/r-000002", "/reports/760-ha-tang",
               "/reports/ktxh-quy", "/units/so-khdt", "/quarterly"]


def _axe(page) -> list[dict]:
    """axe-core's violations for WCAG 2.0–2.2 A/AA and its best practices (landmarks, regions)."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing (./scripts/test installs axe-core with npm)")
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("""() => axe.run(document, {runOnly: {type: 'tag', values:
        ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})""")
    return [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]][:5]} for v in result["violations"]]


@pytest.fixture(scope="module")
def phone(server, browser):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    _log_in(page, server, "vanthu")
    yield page
    context.close()


@pytest.mark.parametrize("path", PHONE_PAGES)
def test_phone_pages_pass_axe_and_do_not_scroll_sideways(server, phone, path):
    phone.goto(server + path)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375, path
    assert _axe(phone) == [], path


def test_the_login_page_passes_axe(server, browser):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(server + "/login")
    assert _axe(page) == []
    context.close()


def test_on_a_phone_the_decision_comes_first(server, phone):
    phone.goto(server + "/receipts/r-000002")
    button = phone.locator("form[action$='/assign'] button[type=submit]").bounding_box()
    assert button and button["y"] + button["height"] <= 740, f"the assign button is at {button}"
    assert phone.locator("details.evidence-box").get_attribute("open") is None   # folded
    for target in ("header.top button.link", "header.top nav a", "summary"):
        for box in [e.bounding_box() for e in phone.locator(target).all()]:
            assert box and box["width"] >= 24 and box["height"] >= 24, (target, box)
    options = phone.locator("form[action$='/assign'] select[name=report] option").all_inner_texts()
    assert any("… vốn đầu tư công" in o for o in options)              # the words that differ
    assert len(set(o[:40] for o in options)) == len(options)          # told apart at a glance


def _tab_to(page, selector: str, presses: int = 120) -> None:
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_a_clerk_assigns_and_undoes_an_exemption_with_the_keyboard_only(server, browser):
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    _log_in(page, server, "vanthu")
    page.goto(server + "/receipts/r-000002")
    _tab_to(page, "form[action$='/assign'] input[name=reason]")
    page.keyboard.type("Sở Y tế xác nhận qua điện thoại")
    _tab_to(page, "form[action$='/assign'] button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/receipts/r-000002?m=*")
    assert page.evaluate("document.activeElement.id") == "flash"      # focus on what happened
    assert "Đã gán cho so-yte" in page.locator("#flash").inner_text()

    page.goto(server + "/reports/760-ha-tang")
    _tab_to(page, "details.action summary")
    page.keyboard.press("Enter")                                      # opens the exemption form
    _tab_to(page, "details.action select[name=unit]")
    page.keyboard.type("Bộ Chỉ huy")                                  # type-ahead in the select
    _tab_to(page, "details.action input[name=reason]")
    page.keyboard.type("đơn vị trung ương, không thuộc diện")
    page.keyboard.press("Enter")
    page.wait_for_url("**/reports/760-ha-tang?m=*")
    assert page.evaluate("document.activeElement.id") == "flash"
    assert "Đang miễn" in page.locator("section.exemptions").inner_text()
    _tab_to(page, "section.exemptions input[name=reason]")
    page.keyboard.type("miễn nhầm")
    _tab_to(page, "section.exemptions button[type=submit]")
    with page.expect_navigation():                                    # the URL pattern is the same
        page.keyboard.press("Enter")
    assert "Đã hoàn tác quyết định miễn" in page.locator("#flash").inner_text()
    assert page.locator("section.exemptions").count() == 0
    context.close()


# -- directive drafts (admins) ---------------------------------------------------------------

@pytest.fixture(scope="module")
def drafted_server(tmp_path_factory, sample_dir, browser):
    """The sample province with one directive the Office sent, drafted; an admin account."""
    from datetime import datetime

    from conftest import Project

    from ingestd.drafting.outgoing import draft_pending
    from ingestd.store.drafts_repo import OutgoingStore
    from ingestd.testing import Mail
    from ingestd.testing_directives import corpus, to_pdf

    project = Project(tmp_path_factory.mktemp("drafts"))
    project.load_sample(_cli, sample_dir)
    pw = project.root / "pw"
    pw.write_text("van-thu-mat-khau-1")
    assert _cli(project, "user", "add", "quantri", "--role", "admin", "--password-file", str(pw))[0] == 0
    svc = project.services()
    try:
        names = {u.id: u.name for u in svc.rules.units.values()}
        case = corpus(svc.rules.units, svc.rules.groups, "Lai Châu")[2]
        raw = Mail("vanthu@laichau.gov.vn", f"Văn bản số {case.number}", "Gửi văn bản.",
                   attachments=[("vb.pdf", to_pdf(case, names))]).build()
        OutgoingStore(svc.store).add_raw("imap:di/Sent", raw, datetime.now().astimezone())
        draft_pending(svc.store, svc.rules, svc.settings.limits)
    finally:
        svc.close()
    console = Console(project.config, project.root / "web.log", at=AT)
    try:
        yield console.base, project, case
    finally:
        console.stop()


def test_an_admin_reads_edits_and_saves_a_draft_on_a_phone(drafted_server, browser):
    base, project, case = drafted_server
    context = browser.new_context(**PHONE)
    page = context.new_page()
    _log_in(page, base, "quantri")
    page.click("nav >> text=Bản nháp quy tắc")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert _axe(page) == []
    page.click(f"text={case.number}")
    assert "«" in page.inner_text("details.evidence-box")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert _axe(page) == []
    text = page.input_value("textarea#toml")
    page.fill("textarea#toml", text.replace('kind = "dot-xuat"', 'kind = "chuyen-de"', 1))
    page.fill("input#file_name", "vb-moi.toml")
    page.click("form.draft button[type=submit]")
    page.wait_for_url(f"{base}/drafts**")
    assert "Đã lưu rules/directives/vb-moi.toml" in page.inner_text("#flash")
    saved = (project.rules / "directives" / "vb-moi.toml").read_text(encoding="utf-8")
    assert 'kind = "chuyen-de"' in saved and case.number in saved
    context.close()
