"""The quarterly DOCX rendered as its reader sees it (LibreOffice -> PDF, pdftotext, pdftoppm):
A4, the national motto on one line, page numbers from page 2, table headers whole and repeated,
the signature block with the proposal; and a province's own docxtpl template used instead."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import docx
import pytest

AT = "2019-07-08T09:00:00+07:00"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        pytest.fail(f"{name} is missing (./scripts/test installs libreoffice-writer and poppler-utils)")
    return path


def to_pdf(docx_file: Path) -> Path:
    profile = docx_file.parent / "lo-profile"
    subprocess.run([_tool("soffice"), f"-env:UserInstallation=file://{profile}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(docx_file.parent), str(docx_file)],
                   capture_output=True, timeout=240, check=True)
    return docx_file.with_suffix(".pdf")


def pages_text(pdf: Path) -> list[str]:
    out = subprocess.run([_tool("pdftotext"), "-layout", str(pdf), "-"], capture_output=True,
                         text=True, timeout=60, check=True).stdout
    return out.split("\f")


def info(pdf: Path) -> dict[str, str]:
    out = subprocess.run([_tool("pdfinfo"), str(pdf)], capture_output=True, text=True, timeout=60,
                         check=True).stdout
    return {k.strip(): v.strip() for k, v in (ln.split(":", 1) for ln in out.splitlines() if ":" in ln)}


@pytest.fixture(scope="module")
def q2(tmp_path_factory, sample_dir):
    import contextlib
    import io

    from conftest import Project

    from ingestd.cli.main import main

    def cli(project, *args):
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            code = main(["--config", str(project.config), *args])
        return code, out.getvalue(), ""

    project = Project(tmp_path_factory.mktemp("render"))
    project.write_config('[office]\nissuer = "UBND TỈNH LAI CHÂU"\nplace = "Lai Châu"\n'
                         'legal_basis = "Chỉ thị số 08/CT-UBND ngày 28/6/2019 của Chủ tịch UBND tỉnh"\n')
    project.load_sample(cli, sample_dir)
    out = project.root / "q2.docx"
    assert cli(project, "report", "quarter", "2019-Q2", "--at", AT, "--out", str(out))[0] == 0
    return project, out


def test_the_report_meets_the_state_format(q2):
    project, out = q2
    pdf = to_pdf(out)
    meta = info(pdf)
    assert "(A4)" in meta["Page size"]
    assert 2 <= int(meta["Pages"]) <= 8
    pages = pages_text(pdf)
    first = pages[0].splitlines()
    assert any("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in line for line in first)   # one line
    assert any("Độc lập - Tự do - Hạnh phúc" in line for line in first)
    assert any("UBND TỈNH LAI CHÂU" in line for line in first)
    assert first[0].strip() != "1"                                   # no number on page 1
    assert pages[1].strip().splitlines()[0].strip() == "2"          # page numbers from page 2
    table_pages = [p for p in pages if "Phải" in p]
    assert len(table_pages) >= 2                                     # the header row repeats
    for p in table_pages:
        assert "Không" in p and "Điểm" in p and "Khôn\n" not in p and "ST\n" not in p
    last = pages[-2] if not pages[-1].strip() else pages[-1]
    assert "IV. ĐỀ XUẤT" in last and "Nơi nhận" in last           # kept together
    assert "760-ha-tang" not in "".join(pages)                       # titles, not ids
    document = docx.Document(str(out))
    body = [p for p in document.paragraphs if p.text.strip()]
    assert {p.runs[0].font.size.pt for p in body if len(p.text) > 80} == {14.0}
    section = document.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7


def test_the_first_page_renders_to_png(q2, tmp_path):
    project, out = q2
    pdf = out.with_suffix(".pdf") if out.with_suffix(".pdf").exists() else to_pdf(out)
    subprocess.run([_tool("pdftoppm"), "-r", "50", "-png", "-f", "1", "-l", "1", str(pdf),
                    str(tmp_path / "page")], check=True, timeout=60)
    png = next(tmp_path.glob("page*.png"))
    assert png.read_bytes()[:4] == b"\x89PNG" and png.stat().st_size > 10_000


def test_a_province_template_replaces_the_packaged_layout(q2, tmp_path):
    project, _ = q2
    template = project.rules / "templates" / "quarterly.docx"
    template.parent.mkdir(exist_ok=True)
    d = docx.Document()
    d.add_paragraph("{{ office.issuer }} — MẪU RIÊNG CỦA TỈNH")
    d.add_paragraph("Báo cáo {{ range }}: {{ totals.on_time }} đúng hạn, {{ totals.missing }} không gửi")
    d.add_paragraph("{% for g in groups %}{{ g.name }}: {{ g.units|length }} đơn vị; {% endfor %}")
    d.add_paragraph("{{ chart }}")
    d.save(str(template))
    try:
        from ingestd.cli.main import main

        out = tmp_path / "own.docx"
        assert main(["--config", str(project.config), "report", "quarter", "2019-Q2", "--at", AT,
                     "--out", str(out)]) == 0
        text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
        assert "UBND TỈNH LAI CHÂU — MẪU RIÊNG CỦA TỈNH" in text
        assert "Báo cáo quý II/2019: 29 đúng hạn, 42 không gửi" in text
        assert "Các sở, ban, ngành tỉnh: 28 đơn vị" in text
        assert "word/media/" in str(__import__("zipfile").ZipFile(out).namelist())  # the chart
    finally:
        template.unlink()
