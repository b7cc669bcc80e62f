"""Property-based fuzzing: the MIME-to-Document path and the rules loader never raise anything
but their own clear errors. CI runs a short profile; `HYPOTHESIS_PROFILE=long` runs longer."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingestd.config import ReadLimits
from ingestd.errors import RulesError
from ingestd.read import read_message
from ingestd.read.attachments import extract
from ingestd.rules import load_rules
from ingestd.testing import Mail, make_docx, make_zip

settings.register_profile("ci", max_examples=150, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.function_scoped_fixture])
settings.register_profile("long", max_examples=20_000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

LIMITS = ReadLimits(attachment_seconds=5)
SEED = Mail("skhdt@laichau.gov.vn", "Báo cáo 760/UBND-TH", "Thực hiện Văn bản số 760/UBND-TH",
            attachments=[("a.docx", make_docx([("Số: 1/BC-X", "")], ["760/UBND-TH"])),
                         ("b.zip", make_zip({"c.txt": b"924/UBND-TH"}))]).build()


def read(raw: bytes) -> None:
    doc = read_message(raw, LIMITS, extract_fn=extract)
    doc.to_json()
    assert all(isinstance(p.text, str) for p in doc.parts)


@given(st.binary(max_size=4000))
def test_random_bytes_never_raise(data):
    read(data)


@given(st.data())
def test_mutated_real_messages_never_raise(data):
    raw = bytearray(SEED)
    for _ in range(data.draw(st.integers(1, 20))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        op = data.draw(st.sampled_from(["flip", "cut", "insert", "dup"]))
        if op == "flip":
            raw[pos] = data.draw(st.integers(0, 255))
        elif op == "cut":
            del raw[pos:pos + data.draw(st.integers(1, 200))]
        elif op == "insert":
            raw[pos:pos] = data.draw(st.sampled_from(
                [b"\r\n", b"--", b"=?utf-8?b?", b"Content-Type: multipart/mixed; boundary=x\r\n",
                 b"\x00", b"=\r\n", b"<edXML>", "Đ".encode()]))
        else:
            raw[pos:pos] = raw[pos:pos + 300]
        if not raw:
            break
    read(bytes(raw))


@given(st.text(max_size=600))
def test_rules_loader_gives_only_rules_errors(tmp_path_factory, text):
    rules = tmp_path_factory.mktemp("rules")
    (rules / "directives").mkdir()
    (rules / "units.toml").write_text(text, encoding="utf-8")
    (rules / "directives" / "a.toml").write_text(text, encoding="utf-8")
    try:
        load_rules(rules)
    except RulesError as exc:
        assert exc.problems and all(str(p) for p in exc.problems)


KEYS = ["id", "name", "units", "due", "every", "due_day", "start", "number", "date", "emails",
        "groups", "keywords", "due_working_days", "exclude", "kind", "due_month"]
VALUES = st.one_of(st.integers(-5, 40), st.text(max_size=12), st.booleans(),
                   st.dates().map(lambda d: d.isoformat()),
                   st.lists(st.sampled_from(['"@so"', '"a"', '"x"', "1"]), max_size=3)
                   .map(lambda v: "[" + ", ".join(v) + "]"))


@given(st.lists(st.tuples(st.sampled_from(["[directive]", "[[report]]", "[[unit]]", "[groups]"]),
                          st.lists(st.tuples(st.sampled_from(KEYS), VALUES), max_size=6)),
                max_size=6))
def test_structured_rules_give_only_rules_errors(tmp_path_factory, tables):
    def render(value: object) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str) and (value.startswith("[") or value[:4].isdigit()):
            return value
        if isinstance(value, str):
            return '"' + value.replace("\\", "").replace('"', "") + '"'
        return str(value)

    text = "\n".join(f"{head}\n" + "\n".join(f"{k} = {render(v)}" for k, v in dict(kv).items())
                     for head, kv in tables)
    rules = tmp_path_factory.mktemp("rules")
    (rules / "directives").mkdir()
    (rules / "units.toml").write_text('[groups]\nso = "Sở"\n[[unit]]\nid = "a"\nname = "A"\n'
                                      'groups = ["so"]\n', encoding="utf-8")
    (rules / "directives" / "d.toml").write_text(text, encoding="utf-8")
    try:
        load_rules(rules)
    except RulesError as exc:
        assert all(p.file for p in exc.problems)


@pytest.mark.parametrize("blob", [b"", b"PK\x03\x04", b"%PDF-", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"])
def test_truncated_magic_numbers(blob):
    got = extract("x", blob, LIMITS)
    assert not got.parts
