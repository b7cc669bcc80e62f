"""Bounds on reading one message as a whole: a time budget shared by its attachments and a cap
on how many are read. Without them one mail with many slow attachments (six nested ZIPs of
PDFs that keep pdfminer busy) holds the reader for minutes, each part getting its own limit."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from ingestd.read.attachments import Extracted
from ingestd.read.document import Document, PartProblem
from ingestd.read.limits import ReadLimits

ExtractFn = Callable[[str, bytes, ReadLimits], Extracted]


class Budget:
    """Hands each attachment what is left of the message's time; stops at the caps."""

    def __init__(self, limits: ReadLimits, clock: Callable[[], float] = time.monotonic):
        self.limits = limits
        self.clock = clock
        self.deadline = clock() + limits.message_seconds
        self.count = 0
        self.stopped = False

    def read(self, name: str, data: bytes, extract_fn: ExtractFn, doc: Document) -> None:
        if self.stopped:
            return
        self.count += 1
        if self.count > self.limits.max_attachments:
            self._stop(doc, f"thư có hơn {self.limits.max_attachments} tệp đính kèm; các tệp "
                            "sau không được đọc")
            return
        left = self.deadline - self.clock()
        if left <= 0.5:
            self._stop(doc, f"hết thời gian đọc thư ({self.limits.message_seconds:g} giây); "
                            f"tệp {name} và các tệp sau không được đọc")
            return
        limits = self.limits
        if left < limits.attachment_seconds:
            limits = replace(limits, attachment_seconds=left)
        got = extract_fn(name, data, limits)
        doc.add_extracted(got.parts, got.problems, got.legacy, got.signatures)
        if not got.problems and not any(p.text.strip() for p in got.parts):
            doc.problems.append(PartProblem(f"attachment:{name}", "tệp không có chữ nào đọc "
                                            "được (trống)", blocking=False))

    def _stop(self, doc: Document, reason: str) -> None:
        self.stopped = True
        doc.problems.append(PartProblem("message", reason))
