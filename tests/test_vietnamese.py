"""Everything a Vietnamese user reads is Vietnamese (with diacritics, NFC): `check` problems,
CLI errors, review reasons from the readers, `explain`, the digest, reminders and the console.
Logs stay English (they are for operators and are not checked here)."""

from __future__ import annotations

import re
import unicodedata

import pytest

from ingestd.config import ReadLimits
from ingestd.read import read_message, sandboxed_extract
from ingestd.testing import Mail

ENGLISH = re.compile(r"\b(is not|unknown|did you mean|cannot|missing key|not allowed|needs OCR|"
                     r"zip bomb|problem\(s\)|reading failed|reading stopped|no receipt|no unit|"
                     r"not a date|line break|matched|review|ignored|by keyword|by number|trusted)\b",
                     re.IGNORECASE)


def vietnamese(text: str, allow: tuple[str, ...] = ()) -> None:
    """Vietnamese, NFC, and none of the English phrases the program used to print."""
    for word in allow:
        text = text.replace(word, "")
    assert text == unicodedata.normalize("NFC", text)
    assert re.search(r"[À-ỹ]", text), text          # diacritics: not ASCII-only Vietnamese
    found = ENGLISH.search(text)
    assert not found, f"English {found.group(0)!r} in: {text}"


BROKEN = {
    "units.toml": '[groups]\nso = "Các sở"\n[[unit]]\nid = "Sở A"\nname = "A"\norganId = "x"\n'
                  'emails = ["khong-phai-dia-chi"]\n',
    "directives/1.toml": '[directive]\nnumber = "abc"\ndate = 2019-05-10\n[[report]]\nid = "r"\n'
                         'units = ["@khong", "khong-co"]\ndue = "2019-05-20"\n',
    "reminders.toml": '[defaults]\nbefore_days = ["x"]\nsend_at = "8h"\n[[off]]\nunit = "zz"\n',
    "calendar.toml": 'days_off = ["2019-09-03"]\n',
    "matching.toml": '[[ignore]]\nsubject = "("\n',
}


def test_every_check_problem_is_vietnamese(project, cli):
    for name, text in BROKEN.items():
        project.write_rule(name, text)
    code, out, err = cli(project, "check")
    assert code == 1
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) >= 10
    for line in lines:
        # keys, file names and values are the admin's own words: only the message is judged
        message = re.sub(r'"[^"]*"|\'[^\']*\'|\S+\.toml:\d*|[a-z_]+ =|\[\[?\w+\]?\]', "", line)
        vietnamese(message, allow=("TOML",))


@pytest.mark.parametrize("args", [
    ["explain", "r-999999"], ["explain", "khong-phai-ma"], ["assign", "r-1", "--unit", "khong-co"],
    ["status", "--period", "junk"], ["receipts", "--since", "2019-13-45"],
    ["status", "--report", "khong-co"], ["unassign", "r-1"],
    ["report", "quarter", "2019-Q9"],
])
def test_cli_errors_are_vietnamese(project, cli, args):
    code, out, err = cli(project, *args)
    assert code in (1, 2) and err
    vietnamese(err.split(":", 1)[1])            # after "ingestd COMMAND:"


def test_reader_reasons_are_vietnamese():
    from hostile import encrypted_pdf, nested_zip, zip_lying_sizes

    cases = [("a.pdf", encrypted_pdf("Báo cáo")), ("b.zip", zip_lying_sizes()), ("c.zip", nested_zip(12)),
             ("d.bin", b"\x00\x01" * 100), ("e.pdf", b"%PDF-1.4 garbage"), ("f.jpg", b"\xff\xd8\xff")]
    raw = Mail("a@b.vn", "BC", "Thực hiện Văn bản số 760/UBND-TH", attachments=cases).build()
    doc = read_message(raw, ReadLimits(), extract_fn=sandboxed_extract)
    assert len(doc.problems) >= len(cases)
    for p in doc.problems:
        # what follows a colon may quote a library's own words (an exception): the part that
        # says what happened is ours
        vietnamese(p.reason.split(":")[0] + ":" + p.reason.split(":")[1]
                   if p.reason.count(":") > 1 else p.reason, allow=("PDF", "ZIP", "OCR", "MIME"))


def test_explain_unmatched_digest_and_reminders_are_vietnamese(project, cli, sample_dir):
    project.load_sample(cli, sample_dir)
    queue = cli.json(project, "unmatched")
    for r in queue:
        vietnamese(r["reason"], allow=("DMARC", "Gmail", "Authentication-Results", "PDF", "OCR"))
    code, out, _ = cli(project, "explain", queue[0]["id"])
    evidence = out.split("Quyết định và căn cứ:")[1]
    vietnamese(evidence, allow=("DMARC", "From", "Authentication-Results", "subject", "body",
                                "attachment", "Date"))
    code, out, _ = cli(project, "digest", "--preview", "--at", "2019-06-28T09:00:00+07:00")
    vietnamese(out, allow=("ingestd", "DMARC", "Gmail", "Authentication-Results", "PDF", "OCR"))
    code, out, _ = cli(project, "remind", "--dry-run", "--at", "2019-06-28T09:00:00+07:00")
    vietnamese(out)


def test_console_pages_are_vietnamese(project, cli, sample_dir):
    from starlette.testclient import TestClient

    from ingestd.config import load_settings
    from ingestd.store.accounts import Accounts
    from ingestd.web.app import create_app

    project.load_sample(cli, sample_dir)
    svc = project.services()
    Accounts(svc.store).add("quantri", "admin", "mat-khau-dai-du-1")
    svc.close()
    c = TestClient(create_app(load_settings(project.config)))
    html = c.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    c.post("/login", data={"username": "quantri", "password": "mat-khau-dai-du-1", "csrf_token": token})
    for path in ("/", "/receipts", "/review", "/reports/760-ha-tang", "/units/so-khdt",
                 "/receipts/r-000002", "/quarterly", "/admin"):
        page = c.get(path).text
        visible = re.sub(r"<[^>]+>", " ", page.split("<body>", 1)[1])
        visible = re.sub(r"\S+@\S+|r-\d{6}|\d[\w/.:-]*", " ", visible)
        vietnamese(visible, allow=("ingestd", "DMARC", "Gmail", "Authentication-Results", "PDF",
                                   "OCR", "CSV", "Excel", "Word", "DOCX", "From", "subject",
                                   "body", "attachment", "Date", "Message-ID", "sha256",
                                   "viewer", "clerk", "admin", "maildir", "gateway", "vanthu",
                                   "truc", "import"))
