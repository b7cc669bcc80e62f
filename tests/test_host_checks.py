"""What check and health say about the machine: OCR installed or not; how the mail server in
front treats Authentication-Results (read from its configuration files as Debian lays them out)."""

from __future__ import annotations

from ingestd.host_checks import mta_notes, ocr_warning

OURS = ("mail.laichau.gov.vn",)


def lay_out(root, dkim: str | None = None, dmarc: str | None = None, main_cf: str | None = None,
            header_checks: str | None = None):
    for rel, text in (("etc/opendkim.conf", dkim), ("etc/opendmarc.conf", dmarc),
                      ("etc/postfix/main.cf", main_cf), ("etc/postfix/header_checks", header_checks)):
        if text is not None:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)


def test_no_mail_server_here_says_nothing(tmp_path):
    assert mta_notes(OURS, tmp_path) == []


def test_debian_defaults_strip_nothing_and_say_so(tmp_path):
    lay_out(tmp_path, dkim="Socket local:/run/opendkim/opendkim.sock\nAuthservID mail.laichau.gov.vn\n",
            dmarc="Socket local:/run/opendmarc/opendmarc.sock\n",
            main_cf="smtpd_milters = local:/run/opendkim/opendkim.sock,\n  local:/run/opendmarc/opendmarc.sock\n")
    notes = mta_notes(OURS, tmp_path)
    assert notes[0].startswith("Máy chủ thư không xóa Authentication-Results đến")
    assert any("SPFIgnoreResults" in n for n in notes)
    assert not any("trước OpenDKIM" in n for n in notes)


def test_the_hardened_settings_are_named(tmp_path):
    lay_out(tmp_path, dkim="Socket inet:8891@localhost\nRemoveARAll yes\n"
                           "RemoveARFrom mail.laichau.gov.vn\n",
            dmarc="Socket inet:8893@localhost\nSPFIgnoreResults true\nSPFSelfValidate true\n",
            main_cf="smtpd_milters = inet:localhost:8891, inet:localhost:8893\n"
                    "header_checks = regexp:/etc/postfix/header_checks\n",
            header_checks="/^Authentication-Results:\\s*mail\\.laichau\\.gov\\.vn/ IGNORE\n")
    notes = mta_notes(OURS, tmp_path)
    assert notes == ["Máy chủ thư xóa Authentication-Results đến: OpenDKIM RemoveARAll yes; "
                     "Postfix header_checks (/etc/postfix/header_checks)"]


def test_remove_ar_all_removes_only_the_names_it_is_given(tmp_path):
    """OpenDKIM's RemoveARAll removes headers of RemoveARFrom's names, by default this
    machine's own: on a machine not called mail.laichau.gov.vn, ours stay."""
    lay_out(tmp_path, dkim="Socket inet:8891@localhost\nRemoveARAll yes\n",
            dmarc="Socket inet:8893@localhost\nSPFIgnoreResults true\n")
    elsewhere = mta_notes(OURS, tmp_path, hostname="mx1.laichau.gov.vn")
    assert elsewhere[0].startswith("Máy chủ thư không xóa")
    assert any("thêm RemoveARFrom mail.laichau.gov.vn" in n for n in elsewhere)
    assert any("SPFSelfValidate" in n for n in elsewhere)      # no SPF at all, then
    here = mta_notes(OURS, tmp_path, hostname="mail.laichau.gov.vn")
    assert here[0] == "Máy chủ thư xóa Authentication-Results đến: OpenDKIM RemoveARAll yes"
    lay_out(tmp_path, dkim="Socket inet:8891@localhost\nRemoveARAll yes\n"
                           "RemoveARFrom .laichau.gov.vn\n")
    assert mta_notes(OURS, tmp_path, hostname="mx1")[0].startswith("Máy chủ thư xóa")


def test_milters_in_the_wrong_order_and_a_foreign_authserv_id(tmp_path):
    lay_out(tmp_path, dkim="Socket inet:8891@localhost\nAuthservID mx.other\n",
            dmarc="Socket inet:8893@localhost\nSPFIgnoreResults yes\n",
            main_cf="smtpd_milters = inet:localhost:8893, inet:localhost:8891\n")
    notes = mta_notes(OURS, tmp_path)
    assert any("gọi OpenDMARC trước OpenDKIM" in n for n in notes)
    assert any("AuthservID mx.other" in n for n in notes)


def test_ocr_missing_is_a_warning(monkeypatch, project):
    from ingestd.config import load_settings

    settings = load_settings(project.config)
    monkeypatch.setattr("shutil.which", lambda name: None)
    assert "apt-get install tesseract-ocr tesseract-ocr-vie" in ocr_warning(settings)


def test_check_and_health_show_the_ocr_warning(monkeypatch, project, cli):
    monkeypatch.setenv("PATH", "/nonexistent")
    code, out, _ = cli(project, "check")
    assert code == 0 and "Cảnh báo: [reading] ocr đang bật nhưng máy chưa cài Tesseract" in out
    code, out, _ = cli(project, "health", "--format", "json")
    assert "máy chưa cài Tesseract" in out
