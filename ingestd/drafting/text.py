"""The directive's text, from the files an admin gives (or the Office's outgoing mail):
PDF (text layer, or OCR of a scan), images (OCR), DOCX, an .eml or edXML carrying it. Several
files are pages of one document, in the order given.

DOCX is read with its structure: the header table as its left column and then its right
column, every other table row as ``cell | cell | …`` so a table of periodic reports keeps its
columns. Everything runs in the same killable readers as incoming mail."""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from pathlib import Path

from ingestd.read.attachments import Extracted, check_zip, kind_of
from ingestd.read.document import PartProblem, TextPart
from ingestd.read.limits import ReadLimits
from ingestd.read.vntext import clean, fold

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MAX_PAGES = 12


@dataclass
class DirectiveText:
    text: str
    sources: list[str] = field(default_factory=list)      # "docx", "pdf", "ocr", ...
    problems: list[str] = field(default_factory=list)
    ocr: bool = False


def _cell_lines(cell: object) -> list[str]:
    return [" ".join("".join(t.text or "" for t in p.iter(f"{W}t")).split())
            for p in cell.iter(f"{W}p")]  # type: ignore[attr-defined]


def docx_lines(data: bytes) -> list[str]:
    """The body of a DOCX in order: paragraphs as lines, the header table column by column,
    other tables row by row with ``|`` between cells."""
    import docx

    body = docx.Document(io.BytesIO(data)).element.body
    lines: list[str] = []
    for el in body.iterchildren():
        if el.tag == f"{W}p":
            lines.append("".join(t.text or "" for t in el.iter(f"{W}t")))
        elif el.tag == f"{W}tbl":
            rows = [[_cell_lines(c) for c in tr.iterchildren(f"{W}tc")] for tr in el.iter(f"{W}tr")]
            flat = fold(" ".join(" ".join(" ".join(c) for c in r) for r in rows)).lower()
            if "cong hoa xa hoi" in flat or "doc lap" in flat:
                width = max(len(r) for r in rows)
                for col in range(width):
                    lines.extend(line for r in rows if col < len(r) for line in r[col] if line)
                    lines.append("")
            else:
                lines.extend(" | ".join(" ".join(c) for c in r) for r in rows)
                lines.append("")
    return lines


def _docx_extract(name: str, data: bytes, limits: ReadLimits) -> Extracted:
    problem = check_zip(data, limits)
    if problem:
        return Extracted(problems=[PartProblem(f"attachment:{name}", problem)])
    try:
        return Extracted(parts=[TextPart(f"attachment:{name}", clean("\n".join(docx_lines(data))))])
    except Exception as exc:  # noqa: BLE001 - any parser failure is a reason
        return Extracted(problems=[PartProblem(f"attachment:{name}",
                                               f"không đọc được docx: {type(exc).__name__}")])


def extract_for_drafting(name: str, data: bytes, limits: ReadLimits) -> Extracted:
    """One file's text, in a killable child; DOCX with its columns kept."""
    from ingestd.read.reading import sandboxed_extract
    from ingestd.read.sandbox import SandboxCrash, SandboxTimeout, run_limited

    if kind_of(name, data) != "docx":
        return sandboxed_extract(name, data, limits)
    try:
        return run_limited(_docx_extract, (name, data, limits), limits.attachment_seconds,
                           limits.worker_memory_mb)
    except (SandboxTimeout, SandboxCrash) as exc:
        return Extracted(problems=[PartProblem(f"attachment:{name}", f"đọc lỗi: {exc}")])


def _is_message(name: str, data: bytes) -> bool:
    from ingestd.read.edxml import looks_like_edxml

    head = data[:4096].lower()
    return (name.lower().endswith((".eml", ".edxml", ".msg")) or looks_like_edxml(data)
            or (b"\nfrom:" in b"\n" + head and b"\nsubject:" in b"\n" + head))


def read_parts(name: str, data: bytes, limits: ReadLimits) -> tuple[list[TextPart], list[str]]:
    """The text parts of one file (a message: its attachments first, then its body)."""
    limits = replace(limits, pdf_pages=MAX_PAGES)
    if _is_message(name, data):
        from ingestd.read.reading import read_message

        doc = read_message(data, limits, extract_for_drafting)
        attached = [p for p in doc.parts if p.location.startswith("attachment:")]
        body = [p for p in doc.parts if p.location in ("body", "edxml:Content", "edxml:Subject")]
        return attached or body, [f"{p.location}: {p.reason}" for p in doc.problems if p.blocking]
    out = extract_for_drafting(name, data, limits)
    return out.parts, [f"{p.location}: {p.reason}" for p in out.problems if p.blocking]


def read_files(files: list[tuple[str, bytes]], limits: ReadLimits) -> DirectiveText:
    """Several files as the pages of one directive."""
    from ingestd.read.edxml import looks_like_edxml
    from ingestd.read.ocr import ocr_confidence

    texts, sources, problems, ocr = [], [], [], False
    for name, data in files:
        parts, trouble = read_parts(name, data, limits)
        problems.extend(trouble)
        texts.extend(part.text for part in parts)
        ocr = ocr or any(ocr_confidence(part.location) is not None for part in parts)
        sources.append(("edxml" if looks_like_edxml(data) else "email") if _is_message(name, data)
                       else kind_of(name, data))
    return DirectiveText("\n".join(texts), sources, problems, ocr)


def read_paths(paths: list[Path], limits: ReadLimits) -> DirectiveText:
    return read_files([(p.name, p.read_bytes()) for p in paths], limits)
