"""The knowledge graph for the site: graph.json for the graph page, and each note's neighbourhood as SVG.

The neighbourhood is drawn on the server as a small radial SVG (the note in the middle, its
neighbours on a ring, coloured by type, each a link) so a note page needs no script and no 2 MB of
graph data to show what it connects to. The whole-graph page loads graph.json into a vendored
force-directed renderer; the JSON uses indexes instead of repeated strings to stay small at 10k notes.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache

from markupsafe import escape

from backbrain.core.vault import Vault
from backbrain.site.urls import SiteUrls

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


class GraphCache:
    """graph.json, rebuilt only when a node or an edge changed (most edits change neither)."""

    def __init__(self) -> None:
        self._nodes: dict[str, tuple[object, tuple[object, ...]]] = {}  # id -> (note, its node and links)
        self._edges: object = None
        self._json = ""

    def json(self, vault: Vault, urls: SiteUrls) -> str:
        # When the vault kept its edge list and lookup (an edit that changed no resolution), only notes
        # that are new objects can differ; otherwise every note's links may resolve differently.
        reuse = vault.edges is self._edges and len(vault.notes) == len(self._nodes)
        changed = not reuse
        nodes = {}
        for note_id, note in vault.notes.items():
            cached = self._nodes.get(note_id)
            if reuse and cached is not None and cached[0] is note:
                nodes[note_id] = cached
                continue
            signature = (urls.note_slug[note_id], note.title, note.type, tuple(vault.link_targets(note)))
            changed = changed or cached is None or cached[1] != signature
            nodes[note_id] = (note, signature)
        if changed or not self._json:
            self._json = graph_json(vault, urls)
        self._nodes, self._edges = nodes, vault.edges
        return self._json


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
        source = index[note_id]
        for target_id in vault.link_targets(vault.notes[note_id]):
            target = index.get(target_id) if target_id else None
            if target is not None and target != source:
                pair = (source, target)
                if pair not in seen and (target, source) not in seen:
                    seen[pair] = 0
    notes = [vault.notes[i] for i in ids]
    data = {
        "types": types,
        "colours": [type_colour(name) for name in types],
        "kinds": kinds,
        "nodes": [[urls.note_slug[n.id], n.title, type_index[n.type]] for n in notes],
        "links": [[a, b, kind] for (a, b), kind in seen.items()],
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def neighbourhood_svg(center: tuple[str, str, str], ring: list[tuple[str, str, str]], root: str) -> str:
    """Radial SVG: center and ring items are (url from the site root, title, type); at most MAX_RING shown."""
    shown = ring[:MAX_RING]
    size, mid, geometry = _ring_geometry(len(shown))
    parts = [
        f'<svg class="neighbourhood" viewBox="0 0 {size} {size}" role="img" '
        f'aria-label="{escape(center[1])} and its {len(ring)} connected notes">',
    ]
    parts.extend(f'<line x1="{mid}" y1="{mid}" x2="{x}" y2="{y}" />' for x, y, *_ in geometry)
    for (x, y, tx, ty, anchor), item in zip(geometry, shown, strict=True):
        url, tooltip, label, colour = _ring_item(*item)
        parts.append(
            f'<a href="{root}{url}"><title>{tooltip}</title><circle cx="{x}" cy="{y}" r="8" fill="{colour}" />'
            f'<text x="{tx}" y="{ty}" text-anchor="{anchor}">{label}</text></a>'
        )
    parts.append(
        f'<circle class="center" cx="{mid}" cy="{mid}" r="13" fill="{type_colour(center[2])}" />'
        f'<text class="center-label" x="{mid}" y="{mid + 32}" text-anchor="middle">{escape(center[1][:40])}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


@lru_cache(maxsize=MAX_RING + 1)
def _ring_geometry(count: int) -> tuple[int, float, list[tuple[str, str, str, str, str]]]:
    """Where `count` neighbours sit on the ring, and where their labels go (the same for every page)."""
    size, radius = 520, 190 if count > 8 else 150
    mid = size / 2
    points = []
    for i in range(count):
        angle = 2 * math.pi * i / max(count, 1) - math.pi / 2
        x, y = mid + radius * math.cos(angle), mid + radius * math.sin(angle)
        anchor = "start" if x > mid + 1 else "end" if x < mid - 1 else "middle"
        dx = 12 if anchor == "start" else -12 if anchor == "end" else 0
        dy = 4 if anchor != "middle" else (-14 if y < mid else 22)
        points.append((f"{x:.1f}", f"{y:.1f}", f"{x + dx:.1f}", f"{y + dy:.1f}", anchor))
    return size, mid, points


@lru_cache(maxsize=65536)
def _ring_item(url: str, title: str, type_name: str) -> tuple[str, str, str, str]:
    """A neighbour's escaped href, tooltip, label and colour; a note sits on all its neighbours' rings."""
    label = title if len(title) <= 22 else title[:21] + "…"
    return str(escape(url)), f"{escape(title)} ({escape(type_name)})", str(escape(label)), type_colour(type_name)
