"""Attachments are not pages: active files (HTML, JavaScript, XML) are never published, what is
published is served as a download with a type that cannot run, images show only through <img>, and
every static page carries a CSP <meta> as strict as the server's header."""

from __future__ import annotations

import re
from pathlib import Path

from hostile import base_vault
from webtest import call

from backbrain.site import SiteBuilder
from backbrain.web.app import SiteState, create_app
from backbrain.web.security import SECURITY_HEADERS

SCRIPT = "<script>document.title='pwned'</script>"
NOTE = """---
title: Attachments
type: pattern
---

# Attachments

## Problem

![diagram](files/diagram.svg) ![photo](files/photo.png) [page](files/evil.html) [script](files/evil.js)
[data](files/data.bin)
"""


def _vault(tmp_path: Path) -> Path:
    vault = base_vault(tmp_path / "v", {"01_patterns/attachments.md": NOTE})
    files = vault / "01_patterns/files"
    files.mkdir()
    (files / "diagram.svg").write_text(f'<svg xmlns="http://www.w3.org/2000/svg">{SCRIPT}</svg>', encoding="utf-8")
    (files / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    (files / "evil.html").write_text(SCRIPT, encoding="utf-8")
    (files / "evil.js").write_text("alert(1)", encoding="utf-8")
    (files / "data.bin").write_bytes(b"<html>" + SCRIPT.encode())
    return vault


def test_active_attachments_are_never_published(tmp_path: Path):
    vault = _vault(tmp_path)
    out = tmp_path / "site"
    SiteBuilder(vault, out, tmp_path / "cache.json").build()
    assets = out / "assets/01_patterns/files"
    assert sorted(p.name for p in assets.iterdir()) == ["data.bin", "diagram.svg", "photo.png"]


def test_published_attachments_are_served_as_downloads(tmp_path: Path):
    vault = _vault(tmp_path)
    out = tmp_path / "site"
    SiteBuilder(vault, out, tmp_path / "cache.json", live=True).build()
    app = create_app(SiteState(site_dir=out, vault_root=vault))
    expected = {"diagram.svg": "image/svg+xml", "photo.png": "image/png", "data.bin": "application/octet-stream"}
    for name, media in expected.items():
        response = call(app, "GET", f"/assets/01_patterns/files/{name}", headers={"host": "127.0.0.1"})
        assert response.status_code == 200, name
        assert response.headers["content-type"] == media
        assert response.headers["content-disposition"] == "attachment"
        assert response.headers["x-content-type-options"] == "nosniff"
    for name in ("evil.html", "evil.js"):
        assert call(app, "GET", f"/assets/01_patterns/files/{name}", headers={"host": "127.0.0.1"}).status_code == 404


def test_static_pages_carry_the_servers_policy(tmp_path: Path):
    vault = _vault(tmp_path)
    out = tmp_path / "site"
    SiteBuilder(vault, out, tmp_path / "cache.json").build()
    header = SECURITY_HEADERS["content-security-policy"]
    # A <meta> policy cannot carry frame-ancestors (browsers ignore it there); everything else is the same.
    expected = "; ".join(d for d in header.split("; ") if not d.startswith("frame-ancestors"))
    pages = list(out.rglob("*.html"))
    assert len(pages) > 5
    for page in pages:
        found = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', page.read_text("utf-8"))
        assert [item.replace("&#39;", "'") for item in found] == [expected], page
