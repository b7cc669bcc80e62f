"""A gateway drop folder's settings (``[[gateway]]``): its parse function and its kind of
source — a trusted channel: the gateway has authenticated the sending organisation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ingestd.sources.keys import SourceKind, source_key
from ingestd.tomlfile import Table


@dataclass(frozen=True)
class GatewayInbox:
    name: str
    kind: str
    path: Path
    settle_seconds: float = 2.0
    trusted_organ_ids: frozenset[str] = frozenset()   # hops whose timestamps are believed
    outgoing: bool = False      # what the Office sends: read for directives, never receipts


def parse(t: Table, name: str, base: Path) -> GatewayInbox:
    kind = t.choice("kind", ["edxml-dir"], default="edxml-dir", required=True) or "edxml-dir"
    path = t.get("path", str, required=True) or "."
    settle = t.get("settle_seconds", (int, float), 2.0)  # type: ignore[arg-type]
    return GatewayInbox(name, kind, base / path, float(settle),
                        frozenset(t.str_list("trusted_organ_ids")), t.get("outgoing", bool, False))


KIND = SourceKind(
    name="gateway", field="gateways", parse=parse,
    allowed=frozenset({"name", "kind", "path", "settle_seconds", "trusted_organ_ids", "outgoing"}),
    keys=lambda g: [source_key("gateway", g.name)],
    poller="ingestd.sources.gateway:poller", trusted_channel=True)
