"""Live labs under `backbrain serve`: run a lab with new parameters from its note page.

    GET  /_labs/NAME        the lab's parameters (kind, default, range, help) for the form
    GET  /_labs/status      {"running": NAME or null, "progress": 0..1}
    POST /_labs/NAME/run    {"params": {KEY: "VALUE"}, "seed": N} -> result, table and plot
    POST /_labs/cancel      stop the run in progress

The POSTs are same-origin and CSRF-protected like every write (backbrain.web.jsonapi). Parameters
are parsed and range-checked by the same registry as `backbrain lab run`, including the total-work
limit, so the browser can ask for nothing the CLI would refuse. One run at a time for the whole
server: a second request while one runs gets 409, not a queue, because each run takes a core for
seconds. A run is cancelled from its own progress callback, so it stops at the lab's next progress
step (a fraction of a second in every lab). Nothing is written into the vault: a live run is
exploration; `backbrain lab run NAME --vault DIR` saves one.
"""

from __future__ import annotations

import base64
import threading
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from backbrain.errors import RefusedError
from backbrain.labs import get_lab, run_lab
from backbrain.labs.outputs import render_svg
from backbrain.labs.table import table_rows
from backbrain.web.app import SiteState, register_routes
from backbrain.web.jsonapi import NO_STORE, BadRequest, answer, json_post
from backbrain.web.security import protected


class Cancelled(RefusedError):
    """The run was cancelled from the page (409)."""


class LabRunner:
    """At most one lab run at a time, with its progress and a cancel flag the run itself checks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._guard = threading.Lock()
        self.running: str | None = None
        self.progress = 0.0
        self._cancel = threading.Event()

    def status(self) -> dict[str, Any]:
        with self._guard:
            return {"running": self.running, "progress": round(self.progress, 3)}

    def cancel(self) -> bool:
        with self._guard:
            if self.running is None:
                return False
            self._cancel.set()
            return True

    def run(self, name: str, params: dict[str, str], seed: int | None) -> dict[str, Any]:
        get_lab(name)  # an unknown lab is a 404-style usage error before taking the slot
        if not self._lock.acquire(blocking=False):
            raise RefusedError(
                f"Lab {self.running!r} is already running on this server; wait for it or cancel it.",
                hint="One run at a time: each takes a core for seconds.",
            )
        try:
            with self._guard:
                self.running, self.progress = name, 0.0
                self._cancel.clear()
            started = time.perf_counter()
            result = run_lab(name, params, seed=seed, progress=self._report)
            svg = render_svg(result)
            metrics, rows = table_rows(result.variants)
            return {
                "result": result.to_dict(),
                "table": {"metrics": metrics, "rows": [[variant, *cells] for variant, cells in rows]},
                "plot": None if svg is None else "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii"),
                "seconds": round(time.perf_counter() - started, 2),
            }
        finally:
            with self._guard:
                self.running, self.progress = None, 0.0
            self._lock.release()

    def _report(self, fraction: float) -> None:
        if self._cancel.is_set():
            raise Cancelled("Cancelled: the run stopped before finishing; nothing changed.")
        with self._guard:
            self.progress = fraction


RUNNER = LabRunner()


def run_payload(name: str, body: dict[str, Any]) -> dict[str, Any]:
    params, seed = body.get("params", {}), body.get("seed")
    if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
        raise BadRequest('Expected {"params": {NAME: "VALUE", ...}, "seed": N}.')
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**63):
        raise BadRequest("seed must be a non-negative integer.")
    return RUNNER.run(name, {k: str(v) for k, v in params.items()}, seed)


def lab_payload(name: str) -> dict[str, Any]:
    info = get_lab(name)
    params = [
        {
            "name": p.name,
            "type": p.kind,
            "default": p.default_text(),
            "minimum": p.minimum,
            "maximum": p.maximum,
            "help": p.help,
        }
        for p in info.params
    ]
    return {"name": info.name, "title": info.title, "params": params, **RUNNER.status()}


def lab_routes(state: SiteState) -> list[BaseRoute]:
    async def get_status(request: Request) -> Response:
        return JSONResponse(RUNNER.status(), headers=NO_STORE)

    async def get_lab_info(request: Request) -> Response:
        name = request.path_params["name"]
        return await answer(lambda: lab_payload(name))

    async def post_run(request: Request) -> Response:
        name = request.path_params["name"]
        return await json_post(state, lambda _state, body: run_payload(name, body))(request)

    @protected(state.csrf)
    async def post_cancel(request: Request) -> Response:
        return JSONResponse({"cancelled": RUNNER.cancel()}, headers=NO_STORE)

    return [
        Route("/_labs/status", get_status, methods=["GET"]),
        Route("/_labs/cancel", post_cancel, methods=["POST"]),
        Route("/_labs/{name}", get_lab_info, methods=["GET"]),
        Route("/_labs/{name}/run", post_run, methods=["POST"]),
    ]


register_routes(lab_routes)
