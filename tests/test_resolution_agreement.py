"""`show`, `related`, search's link graph and the site resolve every name in the starter to the same note.

They once carried their own copies of the lookup and drifted (`show "cache aside"` found the note,
`related "cache aside"` did not). Now all of them ask core/resolver; this test holds them to it by
sending every id, alias and title (and the spaced form of each id) through each of them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import run_cli
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from backbrain.core.vault import load_vault, starter_root
from backbrain.search.related import resolve_note
from backbrain.search.store import open_index
from backbrain.site import build_site
from backbrain.site.urls import SiteUrls

PROBE = "articles/zz-resolution-probe.md"


def starter_names() -> list[str]:
    vault = load_vault(starter_root())
    names: dict[str, None] = {}
    for note in vault.notes.values():
        for name in (note.id, note.id.replace("-", " "), note.title, *note.aliases):
            if name.strip() and not any(c in name for c in "[]|#^"):
                names[name] = None
    return list(names)


@pytest.fixture(scope="module")
def probed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A copy of the starter plus one note linking to every name, each link labelled by its position."""
    root = tmp_path_factory.mktemp("agree") / "vault"
    shutil.copytree(starter_root(), root)
    names = starter_names()
    lines = "\n".join(f"- [[{name}|probe-{i}]]" for i, name in enumerate(names))
    (root / PROBE).write_text(f"---\ntitle: Resolution probe\ntype: article\n---\n# Probe\n\n{lines}\n")
    return root, names


def test_there_are_enough_names_to_mean_something(probed: tuple[Path, list[str]]) -> None:
    assert len(probed[1]) > 300


def test_show_related_search_and_site_agree_on_every_name(probed: tuple[Path, list[str]]) -> None:
    root, names = probed
    vault = load_vault(root)
    shown = {name: vault.get(name).id for name in names}  # what `backbrain show NAME` displays
    for note in vault.notes.values():
        assert note.rel == PROBE or shown[note.id] == note.id

    index = open_index(root)
    index.sync()
    related = {name: resolve_note(index, name)[1] for name in names}  # what `backbrain related NAME` uses
    linked = {
        target for (target,) in index.conn.execute("SELECT target FROM edges WHERE via = ? AND kind = 'link'", (PROBE,))
    }

    build_site(root, root / "_site")
    urls = SiteUrls(vault)
    page = HTMLParser((root / "_site" / urls.note("zz-resolution-probe") / "index.html").read_text())
    hrefs = {a.text(): a.attributes.get("href") or "" for a in page.css("a.wikilink") if a.text().startswith("probe-")}

    disagreements = []
    for i, name in enumerate(names):
        site_target = hrefs.get(f"probe-{i}", "").rstrip("/").rsplit("/", 1)[-1]
        expected_slug = urls.note(shown[name]).rstrip("/").rsplit("/", 1)[-1]
        if related[name] != shown[name] or site_target != expected_slug or shown[name] not in linked:
            disagreements.append((name, shown[name], related[name], site_target))
    assert disagreements == []


def test_the_cli_finds_a_spaced_name_in_show_and_related(probed: tuple[Path, list[str]]) -> None:
    root, _ = probed
    show = run_cli("show", "cache aside", "--vault", str(root))
    related = run_cli("related", "cache aside", "--vault", str(root))
    assert show.returncode == 0, show.stderr
    assert related.returncode == 0, related.stderr
    assert related.stdout.startswith("Notes related to caching:")
