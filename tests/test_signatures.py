"""Digitally signed reports (ký số): a valid signature from the right unit, a file changed after
signing, another unit's certificate, an expired and an untrusted certificate, and an unsigned
report where a signature is required -- each with the right outcome, shown in the receipts JSON
and in `explain`."""

from __future__ import annotations

import pytest
from pki import issue, root, sign_pdf

from ingestd.testing import Mail, auth_results, make_pdf

AUTH = auth_results("mail.laichau.gov.vn", "laichau.gov.vn")
TEXT = [["UBND HUYỆN THAN UYÊN", "Số: 152/BC-UBND",
         "Thực hiện Văn bản số 760/UBND-TH ngày 10/5/2019 của UBND tỉnh Lai Châu"]]


@pytest.fixture(scope="module")
def pki():
    ca, other = root(), root("CA lạ")
    return {
        "ca": ca,
        "than-uyen": issue(ca, "Lò Văn Hùng", "UBND huyện Than Uyên"),
        "tam-duong": issue(ca, "Nguyễn Thị Lan", "UBND huyện Tam Đường"),
        "expired": issue(ca, "Lò Văn Hùng", "UBND huyện Than Uyên", expired=True),
        "stranger": issue(other, "Lò Văn Hùng", "UBND huyện Than Uyên"),
        "other": other,
    }


def setup(project, pki, require: bool = False):
    (project.root / "certs").mkdir()
    (project.root / "certs" / "root.pem").write_bytes(pki["ca"].pem)
    text = project.config.read_text()
    project.config.write_text(text + '\n[signatures]\nroots = ["certs/*.pem"]\n')
    units = (project.rules / "units.toml").read_text()
    units = units.replace('emails = ["ubndthanuyen@laichau.gov.vn"]',
                          'emails = ["ubndthanuyen@laichau.gov.vn"]\n'
                          'signer_names = ["UBND huyện Than Uyên"]')
    units = units.replace('emails = ["ubndtamduong@laichau.gov.vn"]',
                          'emails = ["ubndtamduong@laichau.gov.vn"]\n'
                          'signer_names = ["UBND huyện Tam Đường"]')
    (project.rules / "units.toml").write_text(units)
    if require:
        d = project.rules / "directives" / "760-UBND-TH.toml"
        d.write_text(d.read_text().replace("[[report]]", "[[report]]\nrequire_signature = true", 1))


def send(project, cli, tmp_path, name: str, pdf: bytes) -> dict:
    mail = Mail("ubndthanuyen@laichau.gov.vn", "Báo cáo", "Kính gửi Văn phòng UBND tỉnh.",
                auth=[AUTH], message_id=f"{name}@laichau.gov.vn", attachments=[("baocao.pdf", pdf)])
    (tmp_path / f"{name}.eml").write_bytes(mail.build())
    code, out, err = cli(project, "import", str(tmp_path / f"{name}.eml"))
    assert code == 0, err
    return next(r for r in cli.json(project, "receipts") if r["message_id"] == f"{name}@laichau.gov.vn")


def test_each_signature_gets_its_outcome(project, cli, tmp_path, pki):
    setup(project, pki, require=True)
    plain = make_pdf(TEXT)
    good = sign_pdf(plain, pki["than-uyen"], pki["ca"])
    row = send(project, cli, tmp_path, "valid", good)
    assert row["state"] == "matched", row["reason"]
    assert row["signature"] == {"status": "valid", "signer": "Lò Văn Hùng",
                                "organization": "UBND huyện Than Uyên", "unit": "h-than-uyen",
                                "signed_at": row["signature"]["signed_at"]}
    code, out, _ = cli(project, "explain", row["id"])
    assert "ký số: hợp lệ" in out and "Lò Văn Hùng" in out
    import datetime as dt
    from zoneinfo import ZoneInfo

    local_today = dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    tomorrow = (local_today + dt.timedelta(days=1)).isoformat()
    code, out, _ = cli(project, "digest", "--preview", "--at", f"{tomorrow}T09:00:00+07:00")
    assert "[ký số: hợp lệ]" in out                       # the digest shows it too

    tampered = bytearray(good)
    at = len(plain) // 2                          # inside the signed range
    tampered[at] = (tampered[at] + 1) % 256
    row = send(project, cli, tmp_path, "tampered", bytes(tampered))
    assert row["state"] == "review" and row["signature"]["status"] == "invalid"
    assert "phải được ký số" in row["reason"]

    row = send(project, cli, tmp_path, "other-unit", sign_pdf(plain, pki["tam-duong"], pki["ca"]))
    assert row["state"] == "review" and "chứng thư của đơn vị khác (h-tam-duong" in row["reason"]

    row = send(project, cli, tmp_path, "expired", sign_pdf(plain, pki["expired"], pki["ca"]))
    assert row["state"] == "review" and row["signature"]["status"] == "invalid"

    row = send(project, cli, tmp_path, "untrusted", sign_pdf(plain, pki["stranger"], pki["other"]))
    assert row["state"] == "review" and row["signature"]["status"] == "untrusted"

    row = send(project, cli, tmp_path, "unsigned", make_pdf(TEXT + [["bản không ký"]]))
    assert row["state"] == "review" and row["signature"] is None
    assert "phải được ký số; chữ ký: không có" in row["reason"]


def test_without_require_signature_an_unsigned_report_counts(project, cli, tmp_path, pki):
    setup(project, pki)
    row = send(project, cli, tmp_path, "unsigned", make_pdf(TEXT))
    assert row["state"] == "matched" and row["signature"] is None
    row = send(project, cli, tmp_path, "untrusted2",
               sign_pdf(make_pdf(TEXT + [["x"]]), pki["stranger"], pki["other"]))
    assert row["state"] == "matched" and row["signature"]["status"] == "untrusted"


def test_roots_that_match_nothing_are_a_config_error(project, cli):
    project.config.write_text(project.config.read_text() + '\n[signatures]\nroots = ["certs/*.pem"]\n')
    code, out, err = cli(project, "check")
    assert code == 1 and "không khớp tệp nào" in err


def test_edxml_xml_signatures(project, cli, tmp_path, pki):
    """Through the gateway source: a signed package, one changed after signing, one signed by a
    certificate from outside the pinned roots."""
    import os
    import time

    from pki import sign_xml

    from ingestd.testing import make_edxml

    setup(project, pki)
    inbox = project.root / "gw"
    inbox.mkdir()
    project.config.write_text(project.config.read_text() +
                              '\n[[gateway]]\nname = "truc"\nkind = "edxml-dir"\npath = "gw"\n'
                              'settle_seconds = 0\n')

    def package(n: int) -> bytes:
        return make_edxml("000.31.31.H30", "UBND huyện Than Uyên", str(n), "BC-UBND",
                          "Báo cáo hoàn thiện thể chế", "Thực hiện Văn bản số 760/UBND-TH",
                          [("760/UBND-TH", "2019/05/10")], ["2019/05/17 08:00:00", "2019/05/17 08:01:00"],
                          to_organ=("000.00.00.H30", "UBND tỉnh"))

    from ingestd.rules import load_rules

    organ = load_rules(project.rules).units["h-than-uyen"].organ_id
    valid = sign_xml(package(1).replace(b"000.31.31.H30", organ.encode()), pki["than-uyen"])
    tampered = sign_xml(package(2).replace(b"000.31.31.H30", organ.encode()), pki["than-uyen"]) \
        .replace("hoàn thiện".encode(), "HOÀN THIỆN".encode())
    stranger = sign_xml(package(3).replace(b"000.31.31.H30", organ.encode()), pki["stranger"], sha1=True)
    for name, data in (("a.edxml", valid), ("b.edxml", tampered), ("c.edxml", stranger)):
        (inbox / name).write_bytes(data)
        old = time.time() - 60
        os.utime(inbox / name, (old, old))
    code, out, err = cli(project, "fetch")
    assert code == 0, err
    rows = {r["own_number"]: r for r in cli.json(project, "receipts")}
    assert rows["01/BC-UBND"]["signature"]["status"] == "valid"
    assert rows["01/BC-UBND"]["signature"]["unit"] == "h-than-uyen"
    assert rows["02/BC-UBND"]["signature"]["status"] == "invalid"
    assert rows["03/BC-UBND"]["signature"]["status"] == "untrusted"
    code, out, _ = cli(project, "explain", rows["03/BC-UBND"]["id"])
    assert "SHA-1" in out


def _roots_only(project, pki):
    """Trust roots pinned, but no signer_names written: units are found by their names."""
    (project.root / "certs").mkdir(exist_ok=True)
    (project.root / "certs" / "root.pem").write_bytes(pki["ca"].pem)
    project.config.write_text(project.config.read_text() + '\n[signatures]\nroots = ["certs/*.pem"]\n')


def test_a_signers_organisation_is_mapped_to_its_unit_by_name(project, cli, tmp_path, pki):
    _roots_only(project, pki)
    shouting = issue(pki["ca"], "Lò Văn Hùng", "UBND HUYỆN THAN UYÊN")          # case folded
    row = send(project, cli, tmp_path, "by-name", sign_pdf(make_pdf(TEXT), shouting, pki["ca"]))
    assert row["state"] == "matched" and row["signature"]["unit"] == "h-than-uyen", row["reason"]
    other = issue(pki["ca"], "Nguyễn Thị Lan", "Ubnd huyen Tam Duong")          # diacritics folded
    row = send(project, cli, tmp_path, "other-by-name",
               sign_pdf(make_pdf(TEXT + [["bản 2"]]), other, pki["ca"]))
    assert row["state"] == "review" and row["signature"]["unit"] == "h-tam-duong"
    assert "chứng thư của đơn vị khác (h-tam-duong" in row["reason"]


def test_an_ou_names_the_unit_when_o_is_the_province(project, cli, tmp_path, pki):
    _roots_only(project, pki)
    cert = issue(pki["ca"], "Lò Văn Hùng", "UBND tỉnh Lai Châu", ou="UBND huyện Than Uyên")
    row = send(project, cli, tmp_path, "by-ou", sign_pdf(make_pdf(TEXT), cert, pki["ca"]))
    assert row["signature"]["unit"] == "h-than-uyen" and row["state"] == "matched"


def test_unit_by_signer_folds_names_and_refuses_ambiguity():
    from ingestd.rules.model import Rulebook, Unit

    book = Rulebook(units={"a": Unit("a", "Sở Y tế", former_names=("Sở Y tế tỉnh Hà Giang",)),
                           "b": Unit("b", "Sở Tài chính", aliases=("STC",)),
                           "c": Unit("c", "Ban Dân tộc", aliases=("BDT",)),
                           "d": Unit("d", "Ban Dân tộc và Tôn giáo", aliases=("BDT",))},
                    groups={}, directives=())
    assert book.unit_by_signer("SỞ Y TẾ").id == "a"
    assert book.unit_by_signer("So Y te tinh Ha Giang").id == "a"      # a former name
    assert book.unit_by_signer("stc").id == "b"
    assert book.unit_by_signer("BDT") is None                           # two units: neither
    assert book.unit_by_signer(None, "Sở Tài chính").id == "b"           # the OU when O says nothing
