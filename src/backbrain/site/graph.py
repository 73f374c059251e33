"""The knowledge graph for the site: graph.json for the graph page, and each note's neighbourhood as SVG.

The neighbourhood is drawn on the server as a small radial SVG (the note in the middle, its
neighbours on a ring, coloured by type, each a link) so a note page needs no script and no 2 MB of
graph data to show what it connects to. The whole-graph page loads graph.json into a vendored
force-directed renderer; the JSON uses indexes instead of repeated strings to stay small at 10k notes.
"""

from __future__ import annotations

import html
import json
import math

from backbrain.site.urls import SiteUrls
from backbrain.vault import Vault

TYPE_COLOURS = {
    "principle": "#7c3aed", "pattern": "#2563eb", "system": "#0d9488", "decision": "#b45309",
    "failure-mode": "#dc2626", "playbook": "#4d7c0f", "article": "#db2777", "topic": "#0369a1", "note": "#6b7280",
}  # fmt: skip
_FALLBACK = ["#9333ea", "#0891b2", "#ca8a04", "#be123c", "#15803d"]
MAX_RING = 36


def type_colour(type_name: str) -> str:
    if type_name in TYPE_COLOURS:
        return TYPE_COLOURS[type_name]
    return _FALLBACK[sum(type_name.encode()) % len(_FALLBACK)]


def graph_json(vault: Vault, urls: SiteUrls) -> str:
    """Every note and every link between notes (typed relations and wikilinks), by index."""
    ids = sorted(vault.notes)
    index = {note_id: i for i, note_id in enumerate(ids)}
    types = sorted({vault.notes[i].type for i in ids})
    type_index = {name: i for i, name in enumerate(types)}
    kinds = ["link"]
    seen: dict[tuple[int, int], int] = {}
    for edge in vault.edges:
        if edge.kind not in kinds:
            kinds.append(edge.kind)
        pair = (index[edge.source], index[edge.target])
        seen[pair] = kinds.index(edge.kind)
    for note_id in ids:
        for _, target in vault.outgoing(vault.notes[note_id]):
            if target is not None and target.id != note_id:
                pair = (index[note_id], index[target.id])
                if pair not in seen and (pair[1], pair[0]) not in seen:
                    seen[pair] = 0
    data = {
        "types": types,
        "colours": [type_colour(name) for name in types],
        "kinds": kinds,
        "nodes": [[urls.note_slug[i], vault.notes[i].title, type_index[vault.notes[i].type]] for i in ids],
        "links": [[a, b, kind] for (a, b), kind in seen.items()],
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def neighbourhood_svg(center: tuple[str, str, str], ring: list[tuple[str, str, str]], root: str) -> str:
    """Radial SVG: center and ring items are (url from the site root, title, type); at most MAX_RING shown."""
    shown = ring[:MAX_RING]
    size, radius = 520, 190 if len(shown) > 8 else 150
    mid = size / 2
    parts = [
        f'<svg class="neighbourhood" viewBox="0 0 {size} {size}" role="img" '
        f'aria-label="{html.escape(center[1])} and its {len(ring)} connected notes">',
    ]
    points = []
    for i, item in enumerate(shown):
        angle = 2 * math.pi * i / max(len(shown), 1) - math.pi / 2
        points.append((mid + radius * math.cos(angle), mid + radius * math.sin(angle), item))
    parts.extend(f'<line x1="{mid}" y1="{mid}" x2="{x:.1f}" y2="{y:.1f}" />' for x, y, _ in points)
    for x, y, (url, title, type_name) in points:
        label = title if len(title) <= 22 else title[:21] + "…"
        anchor = "start" if x > mid + 1 else "end" if x < mid - 1 else "middle"
        dx = 12 if anchor == "start" else -12 if anchor == "end" else 0
        dy = 4 if anchor != "middle" else (-14 if y < mid else 22)
        parts.append(
            f'<a href="{html.escape(root + url)}"><title>{html.escape(title)} ({html.escape(type_name)})</title>'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="8" fill="{type_colour(type_name)}" />'
            f'<text x="{x + dx:.1f}" y="{y + dy:.1f}" text-anchor="{anchor}">{html.escape(label)}</text></a>'
        )
    parts.append(
        f'<circle class="center" cx="{mid}" cy="{mid}" r="13" fill="{type_colour(center[2])}" />'
        f'<text class="center-label" x="{mid}" y="{mid + 32}" text-anchor="middle">{html.escape(center[1][:40])}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)
