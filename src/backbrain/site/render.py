"""Turning page contexts into HTML with the Jinja2 templates in site/templates/.

Autoescaping is on for every template; the only markup that enters unescaped is the note body (which
nh3 has sanitized) and the neighbourhood SVG (built here from escaped titles).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from backbrain.site import fragments
from backbrain.site.markdown import NoteRenderer
from backbrain.site.model import Context, SiteModel
from backbrain.site.policy import META_CONTENT_SECURITY_POLICY
from backbrain.site.urls import root_prefix

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES = PACKAGE_DIR / "templates"
STATIC = PACKAGE_DIR / "static"
TEMPLATE_FOR = {
    "home": "home.html", "type": "index.html", "tags": "tags.html", "tag": "tag.html", "timeline": "timeline.html",
    "graph": "graph.html", "search": "search.html", "404": "404.html", "note": "note.html", "folders": "folders.html",
    "review": "review.html",
}  # fmt: skip


def code_digest() -> str:
    """Hash of the site's own code, templates and static files: any change invalidates the build cache."""
    digest = hashlib.blake2b(digest_size=12)
    for path in sorted(PACKAGE_DIR.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(PACKAGE_DIR)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass
class RenderedPage:
    data: bytes
    assets: list[str] = field(default_factory=list)  # vault attachments the page links to


class PageRenderer:
    def __init__(self, model: SiteModel, static_version: str) -> None:
        self.model = model
        self.static_version = static_version
        self.notes = NoteRenderer(model.vault, model.urls)
        self.env = Environment(
            loader=FileSystemLoader(str(TEMPLATES)),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # templates do not change during a build; skips a stat per page
            # No bytecode cache: compiled templates are code, and a cache on disk is a file anyone who
            # can write it (a cloned vault, once) could make us run. Compiling costs ~40 ms a process.
        )
        self.env.globals["csp"] = META_CONTENT_SECURITY_POLICY
        self._chrome_cache: dict[tuple[str, str, bool], Context] = {}

    def render(self, kind: str, key: str, url: str, ctx: Context) -> RenderedPage:
        root = self.model.vault.config.site.base_url if kind == "404" else root_prefix(url)
        extra: Context = {"root": root, "page_url": url, "static_version": self.static_version, "kind": kind}
        assets: list[str] = []
        if kind == "note":
            note = self.model.note_for(key)
            body = self.notes.render(note, root)
            assets = body.assets
            if ctx["lab"] and ctx["lab"]["plot"]:
                assets = [*assets, f"labs/{ctx['lab']['name']}/plot.svg"]
            extra |= {
                "body": Markup(body.html),
                "toc_html": fragments.toc(body.toc),
                "panels_html": fragments.panels(root, ctx["panels"]),
                "backlinks_html": fragments.backlinks(root, ctx["backlinks"]),
                "neighbourhood": Markup(self.model.neighbourhood(ctx, root)),
            }
        extra |= self._chrome(ctx, extra)
        html = self.env.get_template(TEMPLATE_FOR[kind]).render(ctx | extra)
        return RenderedPage(html.encode("utf-8"), assets)

    def _chrome(self, ctx: Context, extra: Context) -> Context:
        """Head links and the header/navigation, rendered once per depth (and current section) and reused:
        at 10,000 notes this is most of what every page has in common."""
        nav_urls = {url for _, url in ctx["nav"]}
        current = extra["page_url"] if extra["page_url"] in nav_urls else ""
        key = (extra["root"], current, ctx["live"])
        cached = self._chrome_cache.get(key)
        if cached is None:
            values = ctx | extra
            cached = {
                "chrome_head": Markup(self.env.get_template("chrome_head.html").render(values)),
                "chrome_top": Markup(self.env.get_template("chrome_top.html").render(values)),
            }
            self._chrome_cache[key] = cached
        return cached
