"""A long-poll peer for the relay integration tests: speaks the relay
protocol over HTTP (POST /poll, POST /poll/ID, GET /poll/ID?after=N,
DELETE /poll/ID; docs/protocol.md) with the same interface as
relaytest.Client, so the same helpers (register, quiet, start_session) drive
WebSocket and long-poll peers alike.

HTTP requests run in worker threads (http.client), one at a time per
client; every wait is bounded by the relay's hold time plus TIMEOUT."""
import asyncio
import http.client
import json
import ssl
import time

from relaytest import TIMEOUT, Client


def http_request(port, method, path, body=None, headers=None, ctx=None,
                 timeout=TIMEOUT):
    """One HTTP request to the relay; returns (status, headers, body)."""
    async def run():
        return await asyncio.to_thread(_request, port, method, path, body,
                                       headers or {}, ctx, timeout)
    return run()


def _request(port, method, path, body, headers, ctx, timeout):
    if ctx is not None:
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout,
                                           context=ctx)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        if isinstance(body, str):
            body = body.encode()
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


class PollClient(Client):
    """A relay peer over HTTP long-poll."""

    def __init__(self, relay, name, secret, headers, query, ctx):
        super().__init__(None, name)
        self.relay = relay
        self.secret = secret
        self.headers = headers
        self.query = query  # e.g. "token=..." added to every request
        self.ctx = ctx
        self.last = 0  # number of the last message received
        self.inbox = []
        self.closed = None  # the relay's close reason, once told

    @classmethod
    async def connect(cls, relay, query="", name="poll", welcome=True,
                      headers=None, ctx=None, token_query=""):
        status, _, body = await http_request(
            relay.port, "POST", "/poll" + (("?" + query) if query else ""),
            b"", headers, ctx)
        assert status == 200, f"{name}: POST /poll answered {status} {body!r}"
        opened = json.loads(body)
        secret = opened["id"]
        c = cls(relay, name, secret, headers, token_query, ctx)
        c.hold = opened["hold"]
        if welcome:
            msg = await c.expect("welcome")
            c.id = msg["peerId"]
        return c

    def path(self, extra=""):
        q = "&".join(x for x in (extra, self.query) if x)
        return f"/poll/{self.secret}" + (("?" + q) if q else "")

    async def request(self, method, extra="", body=None, timeout=None):
        return await http_request(
            self.relay.port, method, self.path(extra), body, self.headers,
            self.ctx, timeout or self.hold + TIMEOUT)

    async def send(self, msg):
        text = msg if isinstance(msg, (str, bytes)) else json.dumps(msg)
        status, _, body = await self.request("POST", body=text)
        assert status == 204, f"{self.name}: POST answered {status} {body!r}"

    async def poll_once(self, after=None):
        """One GET; returns the decoded answer without consuming it."""
        after = self.last if after is None else after
        status, _, body = await self.request("GET", f"after={after}")
        assert status == 200, f"{self.name}: GET answered {status} {body!r}"
        return json.loads(body)

    async def recv(self, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while not self.inbox:
            if self.closed is not None:
                raise AssertionError(
                    f"{self.name}: closed by the relay: {self.closed}")
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{self.name}: no message within {timeout} s")
            answer = await self.poll_once()
            assert answer["last"] == self.last + len(answer["messages"]), \
                f"{self.name}: numbering gap in {answer} after {self.last}"
            self.inbox.extend(answer["messages"])
            self.last = answer["last"]
            if "closed" in answer:
                self.closed = answer["closed"]
        return self.inbox.pop(0)

    async def wait_closed(self, timeout=TIMEOUT):
        """Reads until the relay says the connection is closed; returns the
        reason."""
        deadline = time.monotonic() + timeout
        while self.closed is None:
            assert time.monotonic() < deadline, \
                f"{self.name}: the relay did not close the connection"
            answer = await self.poll_once()
            self.inbox.extend(answer["messages"])
            self.last = answer["last"]
            self.closed = answer.get("closed")
        return self.closed

    async def close(self):
        status, _, _ = await self.request("DELETE")
        assert status == 204, status
