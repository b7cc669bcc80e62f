"""Rules and config errors: all reported at once, each with file:line, value and fix."""

from __future__ import annotations

import pytest

from ingestd.config import load_settings
from ingestd.errors import ConfigError, RulesError
from ingestd.rules import load_rules

UNITS = """\
[groups]
so = "Các sở"

[[unit]]
id = "so-a"
name = "Sở A"
groups = ["so"]
emails = ["a@laichau.gov.vn"]
organ_id = "000.01.31.H30"

[[unit]]
id = "so-b"
name = "Sở B"
groups = ["so"]
emails = ["b@laichau.gov.vn"]
"""

DIRECTIVE = """\
[directive]
number = "760/UBND-TH"
date = 2019-05-10

[[report]]
id = "r1"
units = ["@so"]
due = 2019-05-20
"""


def problems(project) -> list[str]:
    with pytest.raises(RulesError) as info:
        load_rules(project.rules)
    return [str(p) for p in info.value.problems]


@pytest.fixture
def small(project):
    project.write_rule("units.toml", UNITS)
    for f in (project.rules / "directives").glob("*.toml"):
        f.unlink()
    for name in ("matching.toml", "reminders.toml", "calendar.toml"):
        (project.rules / name).unlink()
    project.write_rule("directives/760.toml", DIRECTIVE)
    load_rules(project.rules)     # the base is valid
    return project


def one(found: list[str], needle: str) -> str:
    hits = [p for p in found if needle in p]
    assert hits, f"{needle!r} not in {found}"
    return hits[0]


def test_toml_syntax_error_names_the_line(small):
    small.write_rule("directives/760.toml", DIRECTIVE.replace('date = 2019-05-10', 'date = 2019-05-10 x'))
    p = one(problems(small), "lỗi cú pháp TOML")
    assert "directives/760.toml:3" in p


def test_unknown_key_suggests_the_right_one(small):
    small.write_rule("directives/760.toml", DIRECTIVE.replace("due =", "deu ="))
    found = problems(small)
    p = one(found, 'khóa không hợp lệ "deu"')
    assert "760.toml:8" in p and 'có phải ý anh/chị là "due"' in p
    assert any('không có hạn' in x for x in found)


def test_unknown_unit_and_group(small):
    small.write_rule("directives/760.toml", DIRECTIVE.replace('["@so"]', '["@sos", "so-c", "so-a"]'))
    found = problems(small)
    assert "760.toml:7" in one(found, 'nhóm "@sos" trong báo cáo')
    assert 'có phải là "so"' in one(found, '"@sos"')
    p = one(found, 'đơn vị "so-c" trong báo cáo')
    assert "760.toml:7" in p and 'có phải là "so-' in p


def test_all_problems_at_once_with_their_lines(small):
    small.write_rule("directives/924.toml", """\
        [directive]
        number = "924/UBND-TH"
        date = 2019-05-29

        [[report]]
        id = "r1"
        units = ["so-a"]
        due = "2019-06-05"

        [[report]]
        id = "q"
        kind = "dinh-ky"
        units = ["so-a"]
        due_day = 18
        start = 2019-01-01
        """)
    small.write_rule("units.toml", UNITS.replace('emails = ["b@laichau.gov.vn"]',
                                                 'emails = ["A@laichau.gov.vn"]\norganId = "x"'))
    found = problems(small)
    assert "924.toml:6" in one(found, 'mã báo cáo "r1" đã dùng trong')
    assert "924.toml:8" in one(found, "due = '2019-06-05' không phải ngày")
    assert "không có dấu nháy" in one(found, "không phải ngày")
    assert "924.toml:12" in one(found, 'báo cáo định kỳ "q" thiếu every')
    assert "units.toml:15" in one(found, 'địa chỉ "a@laichau.gov.vn" có ở cả đơn vị "so-a" và "so-b"')
    assert 'có phải ý anh/chị là "organ_id"' in one(found, 'khóa không hợp lệ "organId"')
    assert len(found) >= 5


def test_duplicate_organ_id(small):
    small.write_rule("units.toml", UNITS + 'organ_id = "000.01.31.H30"\n')
    assert "units.toml:16" in one(problems(small), 'mã định danh "000.01.31.H30" có ở cả đơn vị')


def test_reminders_and_calendar_are_validated(small):
    small.write_rule("reminders.toml", """\
        [defaults]
        before_days = [3, "x"]
        send_at = "8h"

        [[override]]
        report = "r2"

        [[off]]
        unit = "so-z"
        """)
    small.write_rule("calendar.toml", 'days_off = ["2019-09-03"]\n')
    found = problems(small)
    assert "reminders.toml:2" in one(found, "before_days phải là danh sách")
    assert "reminders.toml:3" in one(found, 'send_at = "8h"')
    assert "reminders.toml:6" in one(found, 'report "r2" không có trong quy tắc')
    assert 'có phải là "r1"' in one(found, 'report "r2" không có trong quy tắc')
    assert "reminders.toml:9" in one(found, 'unit "so-z" không có trong quy tắc')
    assert "calendar.toml:1" in one(found, "days_off có")


def test_check_command_exit_codes(small, cli):
    code, out, _ = cli(small, "check")
    assert code == 0 and "2 đơn vị" in out
    small.write_rule("directives/760.toml", DIRECTIVE.replace("due =", "deu ="))
    code, out, err = cli(small, "check")
    assert code == 1
    assert "760.toml:8" in err and "Traceback" not in err + out


def test_config_errors(project):
    project.write_config("""
        [[imap]]
        name = "vanthu"
        host = "mail.example.vn"
        security = "none"
        username = "u"
        password = "hunter2"
        after_fetch = "delete"
        """)
    with pytest.raises(ConfigError) as info:
        load_settings(project.config)
    text = "\n".join(str(p) for p in info.value.problems)
    assert 'security = "none" gửi mật khẩu không mã hóa' in text
    assert "không ghi mật khẩu trong config.toml" in text
    assert 'after_fetch = "delete" không hợp lệ' in text
    assert "hunter2" not in text


def test_secrets_come_from_env_or_file(project, tmp_path, monkeypatch):
    (tmp_path / "imap.pass").write_text("s3cret\n")
    project.write_config("""
        [[imap]]
        name = "a"
        host = "127.0.0.1"
        security = "none"
        username = "u"
        password_file = "imap.pass"

        [[imap]]
        name = "b"
        host = "127.0.0.1"
        security = "none"
        username = "u"
        password_env = "INGESTD_TEST_PW"
        """)
    settings = load_settings(project.config)
    monkeypatch.setenv("INGESTD_TEST_PW", "from-env")
    assert settings.imap[0].password.reveal() == "s3cret"
    assert settings.imap[1].password.reveal() == "from-env"
    assert "s3cret" not in repr(settings) and "from-env" not in repr(settings)


def test_a_syntax_error_does_not_hide_or_bury_the_other_files_problems(small):
    small.write_rule("units.toml", UNITS.replace('name = "', 'name = "Sở', 1).replace('"Sở', '"Sở\n', 1))
    small.write_rule("directives/760.toml", DIRECTIVE.replace("due =", "deu ="))
    small.write_rule("reminders.toml", '[defaults]\nsend_at = "8h"\n')
    found = problems(small)
    assert one(found, "lỗi cú pháp TOML").startswith("rules/units.toml") or "units.toml" in found[0]
    assert "760.toml:8" in one(found, 'khóa không hợp lệ "deu"')          # the other files too
    assert "reminders.toml:2" in one(found, 'send_at = "8h"')
    # the units that units.toml would have declared are not reported as unknown elsewhere
    assert not any("không có trong units.toml" in p or "chưa khai báo" in p for p in found), found
