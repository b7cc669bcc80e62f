"""Small charts drawn on the server as SVG: no script, readable without colour (each bar
carries its number), described for screen readers (``role="img"`` and a label)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from ingestd.reports.trend import Point

WIDTH, HEIGHT, TOP, BOTTOM = 240, 110, 18, 22


def _quarter_vi(label: str) -> str:
    return f"Q{label[-1]}/{label[:4]}"


def trend_svg(points: Sequence[Point], title: str) -> Markup:
    """Bars of the on-time share per quarter; a quarter with nothing due is a dash."""
    slot = WIDTH / max(1, len(points))
    bar = min(36.0, slot * 0.6)
    plot = HEIGHT - TOP - BOTTOM
    parts, said = [], []
    for i, p in enumerate(points):
        x = i * slot + (slot - bar) / 2
        centre = i * slot + slot / 2
        parts.append(f'<text x="{centre:.1f}" y="{HEIGHT - 6}" text-anchor="middle" '
                     f'class="axis">{_quarter_vi(p.label)}</text>')
        if p.rate is None:
            parts.append(f'<text x="{centre:.1f}" y="{TOP + plot - 4}" text-anchor="middle" '
                         'class="none">–</text>')
            said.append(f"{_quarter_vi(p.label)}: không có báo cáo đến hạn")
            continue
        pct = round(100 * p.rate)
        h = max(1.5, plot * p.rate)
        tone = "good" if pct >= 80 else "fair" if pct >= 50 else "poor"
        parts.append(f'<rect x="{x:.1f}" y="{TOP + plot - h:.1f}" width="{bar:.1f}" '
                     f'height="{h:.1f}" class="bar {tone}"/>')
        parts.append(f'<text x="{centre:.1f}" y="{TOP + plot - h - 4:.1f}" text-anchor="middle" '
                     f'class="value">{pct}%</text>')
        said.append(f"{_quarter_vi(p.label)}: {pct}% đúng hạn ({p.on_time}/{p.due})")
    label = escape(f"{title}. " + "; ".join(said))
    baseline = f'<line x1="0" y1="{TOP + plot}" x2="{WIDTH}" y2="{TOP + plot}" class="base"/>'
    return Markup(f'<svg class="trend" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
                  f'height="{HEIGHT}" role="img" aria-label="{label}">'
                  f'<title>{label}</title>{baseline}{"".join(parts)}</svg>')
