"""`/search/?q=` under `backbrain serve`: results from the SQLite search index, without JavaScript.

The built site's search/index.html is the page; the server fills its results list with the hits
`backbrain search` would print (same index, same ranking), each a link, its type and a snippet with
the matched words in <mark>. Everything taken from the query or from notes is HTML-escaped. The
static site (no server) fills the same list in the browser with site/static/search.js.

Registered as a route provider: `import backbrain.web.search` before the app is built (serve does,
see backbrain.web.live.ROUTE_MODULES).
"""

from __future__ import annotations

import html
import threading

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from backbrain.errors import BackbrainError
from backbrain.search.engine import SearchHit, SearchResult, search
from backbrain.search.store import SearchIndex, open_index
from backbrain.site.urls import SiteUrls, safe_slug
from backbrain.web.app import SiteState, register_routes

PAGE = "search/index.html"
RESULTS_MARK = "<!--bb-search-results-->"
MAX_QUERY = 500  # characters of ?q= used; the ranking cuts long input further
LIMIT = 30
_LOCK = threading.Lock()  # one index connection per server, used by one request at a time
_indexes: dict[str, SearchIndex] = {}


def _index(state: SiteState) -> SearchIndex:
    key = str(state.vault_root)
    index = _indexes.get(key)
    if index is None:
        index = _indexes[key] = open_index(state.vault_root)
    return index


def run_query(state: SiteState, query: str) -> SearchResult:
    """The CLI's search over the vault's index, synced first so edits show at once."""
    with _LOCK:
        index = _index(state)
        index.sync()
        return search(index, query, limit=LIMIT)


def snippet_html(hit: SearchHit) -> str:
    """The snippet, escaped, with each highlighted span in <mark>."""
    parts, at = [], 0
    for start, end in hit.highlights:
        parts.append(html.escape(hit.snippet[at:start]))
        parts.append(f"<mark>{html.escape(hit.snippet[start:end])}</mark>")
        at = end
    parts.append(html.escape(hit.snippet[at:]))
    return "".join(parts)


def results_html(state: SiteState, result: SearchResult) -> str:
    vault = state.builder.vault if state.builder else None
    urls = SiteUrls(vault) if vault is not None else None
    items = []
    for hit in result.hits:
        path = urls.note(hit.id) if urls and vault and hit.id in vault.notes else f"note/{safe_slug(hit.id)}/"
        url = "../" + path
        items.append(
            f'<li data-id="{html.escape(hit.id)}"><a href="{html.escape(url)}">'
            f'<span class="result-type">{html.escape(hit.type)}</span> <strong>{html.escape(hit.title)}</strong></a>'
            f'<p class="result-snippet">{snippet_html(hit)}</p></li>'
        )
    return "".join(items)


def fill_page(page: str, query: str, message: str, results: str) -> str:
    """The built search page with the query, a status line and the results in place."""
    page = page.replace('name="q" type="search" value=""', f'name="q" type="search" value="{html.escape(query)}"', 1)
    page = page.replace('id="bb-search-page-results"', 'id="bb-search-page-results" data-server="1"', 1)
    page = page.replace(
        '<p id="bb-search-page-message" class="search-page-message" role="status" aria-live="polite"></p>',
        '<p id="bb-search-page-message" class="search-page-message" role="status" aria-live="polite">'
        f"{html.escape(message)}</p>",
        1,
    )
    return page.replace(RESULTS_MARK, results, 1)


def search_routes(state: SiteState) -> list[BaseRoute]:
    async def search_page(request: Request) -> Response:
        try:
            page = (state.site_dir / PAGE).read_text(encoding="utf-8")
        except OSError:
            return HTMLResponse("<h1>Search page not built yet</h1>", status_code=503)
        query = request.query_params.get("q", "")[:MAX_QUERY]
        message, results = "", ""
        if query.strip():
            try:
                result = await run_in_threadpool(run_query, state, query)
            except BackbrainError as exc:
                message = exc.message
            else:
                message = result.message or f"{len(result.hits)} notes match “{query}”."
                results = results_html(state, result)
        return HTMLResponse(fill_page(page, query, message, results), headers={"cache-control": "no-store"})

    return [Route("/search/", search_page, methods=["GET", "HEAD"])]


register_routes(search_routes)
