"""The one builder for the server's JSON endpoints: CSRF-protected POSTs with a JSON body.

Every write (progress, reviews, lab runs) goes through `json_post`: same-origin and the server's
CSRF token first (backbrain.web.security.protected), then a bounded JSON object body, then the
payload function in a worker thread. A BackbrainError becomes a JSON error with its hint and a
status that says what went wrong (400 bad input, 404 unknown, 409 refused or busy).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from backbrain.errors import BackbrainError, NotFoundError, RefusedError
from backbrain.web.app import SiteState
from backbrain.web.security import protected

MAX_BODY = 16 * 1024
NO_STORE = {"cache-control": "no-store"}


class BadRequest(BackbrainError):
    """A malformed request body (400)."""


def error_response(exc: BackbrainError) -> Response:
    status = 409 if isinstance(exc, RefusedError) else 404 if isinstance(exc, NotFoundError) else 400
    return JSONResponse({"error": exc.message, "hint": exc.hint}, status_code=status, headers=NO_STORE)


async def json_body(request: Request) -> dict[str, Any]:
    if not request.headers.get("content-type", "").startswith("application/json"):
        raise BadRequest("Send JSON (content-type: application/json).")
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise BadRequest("Request body too large.")
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise BadRequest("The body is not valid JSON.") from exc
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object.")
    return body


async def answer(work: Callable[[], dict[str, Any]]) -> Response:
    """Run `work` in a worker thread; its dict as JSON, or its BackbrainError as a JSON error."""
    try:
        return JSONResponse(await run_in_threadpool(work), headers=NO_STORE)
    except BackbrainError as exc:
        return error_response(exc)


def json_post(state: SiteState, payload: Callable[[SiteState, Any], Any]) -> Callable[[Request], Awaitable[Response]]:
    """A CSRF-protected POST endpoint: parse the JSON body, then answer with payload(state, body)."""

    @protected(state.csrf)
    async def endpoint(request: Request) -> Response:
        try:
            body = await json_body(request)
        except BackbrainError as exc:
            return error_response(exc)
        return await answer(lambda: payload(state, body))

    return endpoint
