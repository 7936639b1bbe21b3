#!/usr/bin/python3
"""Relay integration tests: access token (HTTP 401 before the WebSocket
upgrade), TLS, static files, and the command line (help, bad certificate,
port in use)."""
import asyncio
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from relaytest import (TIMEOUT, Client, Relay, case, main,  # noqa: E402
                       websockets)


async def expect_refused(relay, query="", headers=None):
    try:
        ws = await websockets.connect(relay.ws_url(query),
                                      extra_headers=headers or {},
                                      open_timeout=TIMEOUT)
    except websockets.exceptions.InvalidStatusCode as e:
        assert e.status_code == 401, e.status_code
        return
    await ws.close()
    raise AssertionError(f"connection with query={query!r} "
                         f"headers={headers!r} was not refused")


async def http_get(port, path, tls_context=None, method="GET"):
    """A raw HTTP/1.1 request; returns (status, headers text, body)."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(
        "127.0.0.1", port, ssl=tls_context,
        server_hostname="127.0.0.1" if tls_context else None), TIMEOUT)
    writer.write(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 "Connection: close\r\n\r\n".encode())
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), TIMEOUT)
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, head.decode(errors="replace"), body


@case("--token", "s3cret")
async def test_token_refused_before_upgrade(relay):
    await expect_refused(relay)
    await expect_refused(relay, "token=wrong")
    await expect_refused(relay, headers={"Authorization": "Bearer wrong"})
    await expect_refused(relay, headers={"Authorization": "Basic s3cret"})
    await relay.wait_log(r"refused connection from 127\.0\.0\.1:\d+: .*token")
    # The refusal is plain HTTP: no WebSocket ever existed.
    status, head, body = await http_get(relay.port, "/")
    assert status == 426, head  # not an upgrade at all: no token needed
    # ... with a hint for the user who opened it in a browser.
    assert b"start the relay with --web-root DIR" in body, body


@case("--token", "s3cret")
async def test_token_accepted_by_header_or_query(relay):
    by_header = await Client.connect(
        relay, extra_headers={"Authorization": "Bearer s3cret"})
    by_query = await Client.connect(relay, "token=s3cret&peer-id=cam1")
    assert by_query.id == "cam1"
    await by_query.register("producer")
    await start_and_check(by_header, by_query)


async def start_and_check(consumer, producer):
    await consumer.send({"type": "startSession", "peerId": producer.id})
    await consumer.expect("sessionStarted", peerId=producer.id)
    await producer.expect("startSession", peerId=consumer.id)


@case(None)
async def test_token_file(_=None):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "token")
        with open(path, "w") as f:
            f.write("from-a-file\n")
        relay = await Relay("--token-file", path).start()
        try:
            await expect_refused(relay)
            c = await Client.connect(
                relay, extra_headers={"Authorization": "Bearer from-a-file"})
            await c.quiet()
        finally:
            assert await relay.stop() == 0


FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "fixtures")


def make_cert(directory):
    """A fresh self-signed certificate for 127.0.0.1; without openssl, the
    committed test-only one in fixtures/ (valid until 2126)."""
    if not shutil.which("openssl"):
        return (os.path.join(FIXTURES, "test-cert.pem"),
                os.path.join(FIXTURES, "test-key.pem"))
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", key, "-out", cert],
        check=True, capture_output=True, timeout=30)
    return cert, key


@case(None)
async def test_tls_serves_wss_and_https(_=None):
    with tempfile.TemporaryDirectory() as d:
        cert, key = make_cert(d)
        web = os.path.join(d, "web")
        os.mkdir(web)
        with open(os.path.join(web, "index.html"), "w") as f:
            f.write("<h1>relay</h1>")
        # Under ASan, LeakSanitizer's exit-time scan crashes ("Tracer caught
        # signal 11", LLVM 14) in a process that used glib-networking's
        # GnuTLS backend: this relay runs with leak detection off, every
        # other check on (tests/sanitizers/README.md).
        saved = os.environ.get("ASAN_OPTIONS")
        if os.environ.get("GWS_SANITIZED"):
            os.environ["ASAN_OPTIONS"] = (saved or "") + ":detect_leaks=0"
        relay = await Relay("--cert", cert, "--key", key,
                            "--web-root", web).start()
        if saved is not None:
            os.environ["ASAN_OPTIONS"] = saved
        try:
            assert relay.url.startswith("wss://127.0.0.1:"), relay.url
            ctx = ssl.create_default_context(cafile=cert)
            c = await Client.connect(relay, "peer-id=secure", ssl=ctx)
            assert c.id == "secure"
            await c.quiet()
            # The same port serves https (and only https).
            status, head, body = await http_get(relay.port, "/", ctx)
            assert status == 200 and body == b"<h1>relay</h1>", head
            try:
                plain = await websockets.connect(
                    relay.ws_url().replace("wss://", "ws://"),
                    open_timeout=TIMEOUT)
                await plain.close()
                raise AssertionError("plain ws:// worked on a TLS port")
            except (websockets.exceptions.InvalidHandshake, OSError,
                    asyncio.TimeoutError, EOFError):
                pass
            await c.quiet()
        finally:
            assert await relay.stop() == 0


async def run_relay_expect_failure(*args):
    proc = await asyncio.create_subprocess_exec(
        os.environ["GWS_RELAY"], *args, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode != 0, (out, err)
    return (out + err).decode()


@case(None)
async def test_bad_certificate_fails_clearly(_=None):
    with tempfile.TemporaryDirectory() as d:
        bogus = os.path.join(d, "bogus.pem")
        with open(bogus, "w") as f:
            f.write("not a certificate\n")
        text = await run_relay_expect_failure(
            "--host", "127.0.0.1", "--port", "0", "--cert", bogus,
            "--key", bogus)
        assert "certificate" in text and bogus in text, text
        text = await run_relay_expect_failure(
            "--host", "127.0.0.1", "--port", "0", "--cert", bogus)
        assert "--key" in text, text


@case()
async def test_port_in_use_fails_clearly(relay):
    text = await run_relay_expect_failure("--host", "127.0.0.1", "--port",
                                          str(relay.port))
    assert f"cannot listen on 127.0.0.1:{relay.port}" in text, text
    # The first relay is unharmed.
    c = await Client.connect(relay)
    await c.quiet()


@case(None)
async def test_help_and_bad_arguments(_=None):
    proc = await asyncio.create_subprocess_exec(
        os.environ["GWS_RELAY"], "--help", stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 0
    for opt in ["--host", "--port", "--token", "--token-file", "--cert",
                "--key", "--max-message-size", "--ping-interval",
                "--web-root"]:
        assert opt in out.decode(), opt
    text = await run_relay_expect_failure("--port", "99999")
    assert "port" in text, text
    text = await run_relay_expect_failure("--no-such-option")
    assert "no-such-option" in text, text


@case(None)
async def test_web_root_serves_files_and_refuses_traversal(_=None):
    with tempfile.TemporaryDirectory() as d:
        web = os.path.join(d, "web")
        os.makedirs(os.path.join(web, "js"))
        with open(os.path.join(web, "index.html"), "w") as f:
            f.write("<html>client</html>")
        with open(os.path.join(web, "js", "app.js"), "w") as f:
            f.write("export const x = 1;")
        with open(os.path.join(web, ".hidden"), "w") as f:
            f.write("hidden")
        with open(os.path.join(d, "secret.txt"), "w") as f:
            f.write("SECRET")
        os.symlink(os.path.join(d, "secret.txt"),
                   os.path.join(web, "link.txt"))
        relay = await Relay("--web-root", web, "--token", "t").start()
        try:
            status, head, body = await http_get(relay.port, "/")
            assert status == 200 and body == b"<html>client</html>", head
            assert "text/html" in head, head
            status, head, body = await http_get(relay.port, "/js/app.js")
            assert status == 200 and b"export" in body, head
            assert "text/javascript" in head, head
            status, head, body = await http_get(relay.port, "/js/app.js",
                                                method="HEAD")
            assert status == 200 and body == b"", (head, body)
            for path in ["/../secret.txt", "/%2e%2e/secret.txt",
                         "/js/../../secret.txt", "/%2E%2E%2Fsecret.txt",
                         "/.hidden", "/link.txt", "/nope.html",
                         "/..%5csecret.txt"]:
                status, head, body = await http_get(relay.port, path)
                assert status in (400, 404), (path, head)
                assert b"SECRET" not in body, path
            status, head, _ = await http_get(relay.port, "/", method="POST")
            assert status == 405, head
            # The WebSocket on the same port still needs the token.
            await expect_refused(relay)
            c = await Client.connect(relay, "token=t")
            await c.quiet()
        finally:
            assert await relay.stop() == 0


if __name__ == "__main__":
    sys.exit(main(globals()))
