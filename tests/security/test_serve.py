"""`backbrain serve` beyond loopback and under hostile clients: only named hosts are answered, the
missing authentication is announced, bodies over the limit are refused before they are read, slow
headers are cut off, and a busy port is a usage error before anything says "Serving"."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hostile import assert_clean_failure, base_vault, cli
from webtest import call

from backbrain.web.app import SiteState, create_app
from backbrain.web.learn import learn_routes
from backbrain.web.security import allowed_hosts


def _app(tmp_path: Path, hosts: list[str]):  # type: ignore[no-untyped-def]
    vault = base_vault(tmp_path / "v")
    (tmp_path / "site").mkdir()
    (tmp_path / "site/index.html").write_text("<p>home</p>", encoding="utf-8")
    state = SiteState(site_dir=tmp_path / "site", vault_root=vault)
    return create_app(state, [learn_routes], hosts=hosts), state


def test_bound_to_all_interfaces_only_named_hosts_are_answered(tmp_path: Path):
    app, _ = _app(tmp_path, allowed_hosts("0.0.0.0", ["notes.lan"]))
    assert call(app, "GET", "/", headers={"host": "attacker.example"}).status_code == 400  # DNS rebinding
    assert call(app, "GET", "/", headers={"host": "notes.lan:8000"}).status_code == 200
    assert call(app, "GET", "/", headers={"host": "127.0.0.1:8000"}).status_code == 200


def test_writes_beyond_loopback_still_need_the_same_origin(tmp_path: Path):
    app, state = _app(tmp_path, allowed_hosts("0.0.0.0", ["notes.lan"]))
    body = {"note": "caching", "status": "completed"}
    foreign = {"host": "notes.lan", "origin": "http://attacker.example", "x-csrf-token": state.csrf.token}
    assert call(app, "POST", "/_learn/progress", json=body, headers=foreign).status_code == 403
    same = {**foreign, "origin": "http://notes.lan"}
    assert call(app, "POST", "/_learn/progress", json=body, headers=same).status_code == 200


def test_bodies_over_the_limit_are_refused_before_reading(tmp_path: Path):
    app, state = _app(tmp_path, ["127.0.0.1"])
    headers = {"host": "127.0.0.1", "origin": "http://127.0.0.1", "x-csrf-token": state.csrf.token,
               "content-type": "application/json"}  # fmt: skip
    big = b'{"note": "' + b"x" * 200_000 + b'"}'
    assert call(app, "POST", "/_learn/progress", content=big, headers=headers).status_code == 413
    read: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:  # chunked: no Content-Length to refuse by
        for _ in range(100):
            read.append(1)
            yield b"x" * 10_000

    assert call(app, "POST", "/_learn/progress", content=chunks(), headers=headers).status_code == 413
    assert len(read) < 20  # reading stopped at the limit, not at the end of the body


def test_slow_headers_are_cut_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from backbrain.web import server

    monkeypatch.setattr(server.HeaderTimeoutH11, "header_timeout", 0.5)
    app, _ = _app(tmp_path, ["127.0.0.1"])
    sock = server.bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    uvicorn_server = server.make_server(app)
    thread = threading.Thread(target=uvicorn_server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not uvicorn_server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
            client.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            began, closed = time.monotonic(), False
            while time.monotonic() - began < 4:
                try:
                    client.sendall(b"X-Slow: 1\r\n")  # one header line at a time, never the blank line
                    client.settimeout(0.2)
                    closed = client.recv(1024) == b""
                except TimeoutError:
                    continue
                except OSError:
                    closed = True
                if closed:
                    break
            assert closed and time.monotonic() - began < 3
        with socket.create_connection(("127.0.0.1", port), timeout=5) as client:  # a normal request still works
            client.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            assert client.recv(1024).startswith(b"HTTP/1.1 200")
    finally:
        uvicorn_server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_a_busy_port_is_a_usage_error_before_serving(tmp_path: Path):
    vault = base_vault(tmp_path / "v")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = cli("serve", "--port", str(port), "--vault", str(vault), home=tmp_path, timeout=60)
    assert_clean_failure(result, 2, f"Port {port} on 127.0.0.1 is already in use")
    assert "Serving" not in result.stdout


def test_binding_beyond_loopback_warns_that_there_is_no_authentication(tmp_path: Path):
    vault = base_vault(tmp_path / "v")
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = cli("serve", "--host", "0.0.0.0", "--port", str(port), "--allow-host", "notes.lan",
                     "--vault", str(vault), home=tmp_path, timeout=60)  # fmt: skip
    assert_clean_failure(result, 2, "no authentication", "notes.lan", "already in use")
