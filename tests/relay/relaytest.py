"""Harness for the relay integration tests: starts the real gst-webrtc-relay
process on 127.0.0.1 (port 0, the bound port parsed from its log), opens real
WebSocket connections to it, and runs test cases with a TAP report (one line
per case) that meson and tests/summarize.py count.

Every wait has a timeout; nothing sleeps to synchronise. To show that a peer
received nothing, a test sends `list` on that peer's connection: the relay
answers in order, so the reply must be the very next message.

Runs under Debian's /usr/bin/python3 (python3-websockets 10.4)."""
import asyncio
import inspect
import json
import os
import re
import signal
import sys
import traceback

try:
    import websockets
    import websockets.exceptions
except ImportError:  # pragma: no cover - reported as a TAP skip
    websockets = None

TIMEOUT = 5.0  # seconds for any single expected event
CASE_TIMEOUT = 40.0  # seconds for a whole test case
UUID_RE = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


class Relay:
    """One gst-webrtc-relay process, its log collected line by line."""

    def __init__(self, *args):
        self.args = list(args)
        self.proc = None
        self.lines = []
        self.url = None
        self.port = None
        self._changed = asyncio.Event()
        self._reader = None

    async def start(self, host="127.0.0.1", port="0"):
        path = os.environ.get("GWS_RELAY")
        assert path and os.access(path, os.X_OK), \
            f"GWS_RELAY does not name the built relay ({path!r})"
        self.proc = await asyncio.create_subprocess_exec(
            path, "--host", host, "--port", str(port), *self.args,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        self._reader = asyncio.create_task(self._read())
        line = await self.wait_log(r"listening on (wss?://\S+)")
        self.url = re.search(r"listening on (wss?://\S+)", line).group(1)
        self.port = int(self.url.rsplit(":", 1)[1])
        return self

    async def _read(self):
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                break
            self.lines.append(line.decode(errors="replace").rstrip("\n"))
            self._changed.set()
        self._changed.set()

    async def wait_log(self, pattern, timeout=TIMEOUT, start=0):
        """Waits for a log line matching `pattern` (from line `start` on)."""
        regex = re.compile(pattern)

        async def find():
            while True:
                for line in self.lines[start:]:
                    if regex.search(line):
                        return line
                if self._reader.done():
                    raise AssertionError(
                        f"relay exited before logging /{pattern}/")
                self._changed.clear()
                await self._changed.wait()

        try:
            return await asyncio.wait_for(find(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"relay never logged /{pattern}/") from None

    async def wait_exit(self, timeout=TIMEOUT):
        try:
            rc = await asyncio.wait_for(self.proc.wait(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError("relay did not exit in time") from None
        await asyncio.wait_for(self._reader, timeout)
        return rc

    async def stop(self, sig=signal.SIGTERM, timeout=TIMEOUT):
        """Signals the relay and returns its exit code."""
        if self.proc.returncode is None:
            self.proc.send_signal(sig)
        return await self.wait_exit(timeout)

    def kill(self):
        if self.proc and self.proc.returncode is None:
            self.proc.kill()

    def ws_url(self, query=""):
        return self.url + "/" + (("?" + query) if query else "")


class Client:
    """A WebSocket peer speaking the relay's JSON protocol."""

    def __init__(self, ws, name):
        self.ws = ws
        self.name = name
        self.id = None

    @classmethod
    async def connect(cls, relay, query="", name="client", welcome=True,
                      **kwargs):
        kwargs.setdefault("open_timeout", TIMEOUT)
        ws = await websockets.connect(relay.ws_url(query), **kwargs)
        c = cls(ws, name)
        if welcome:
            msg = await c.expect("welcome")
            c.id = msg["peerId"]
        return c

    async def send(self, msg):
        await self.ws.send(msg if isinstance(msg, (str, bytes))
                           else json.dumps(msg))

    async def recv(self, timeout=TIMEOUT):
        try:
            text = await asyncio.wait_for(self.ws.recv(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(
                f"{self.name}: no message within {timeout} s") from None
        assert isinstance(text, str), f"{self.name}: binary frame {text!r}"
        return json.loads(text)

    async def expect(self, type_, **fields):
        """The next message must have this type and these field values."""
        msg = await self.recv()
        assert msg.get("type") == type_, \
            f"{self.name}: expected {type_}, got {msg}"
        for k, v in fields.items():
            assert msg.get(k) == v, \
                f"{self.name}: expected {k}={v!r} in {msg}"
        return msg

    async def expect_error(self, *words):
        msg = await self.expect("error")
        details = msg.get("details", "")
        assert isinstance(details, str) and details, f"empty error {msg}"
        for w in words:
            assert w.lower() in details.lower(), \
                f"{self.name}: error {details!r} does not mention {w!r}"
        return msg

    async def register(self, *roles, meta=None, peer_id=None, listen=True):
        msg = {"type": "setPeerStatus", "roles": list(roles), "meta": meta}
        if peer_id is not None:
            msg["peerId"] = peer_id
        await self.send(msg)
        if listen and "listener" in roles:
            me = await self.expect("peerStatusChanged")
            if peer_id is not None:
                self.id = peer_id
            assert me["peerId"] == self.id, me
            return
        if peer_id is not None:
            self.id = peer_id
        # setPeerStatus has no reply: a list round trip proves the relay has
        # processed it before another connection relies on it.
        await self.quiet()

    async def quiet(self):
        """Proves nothing is queued for this peer: `list` is answered next."""
        await self.send({"type": "list"})
        msg = await self.recv()
        assert msg.get("type") == "list", \
            f"{self.name}: unexpected message {msg}"
        return msg

    async def wait_closed(self, timeout=TIMEOUT):
        """Waits for the relay to close us, discarding what arrives first;
        returns the close code."""
        async def drain():
            try:
                while True:
                    await self.ws.recv()
            except websockets.exceptions.ConnectionClosed:
                pass
        try:
            await asyncio.wait_for(drain(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(
                f"{self.name}: the relay did not close the connection") from None
        return self.ws.close_code

    async def close(self):
        await self.ws.close()


async def start_session(consumer, producer, offer=None):
    """A consumer asks for a session with a producer; checks both sides and
    returns the session id."""
    msg = {"type": "startSession", "peerId": producer.id}
    if offer is not None:
        msg["offer"] = offer
    await consumer.send(msg)
    started = await consumer.expect("sessionStarted", peerId=producer.id)
    sid = started["sessionId"]
    assert UUID_RE.match(sid), f"session id {sid!r} is not a UUIDv4"
    start = await producer.expect("startSession", peerId=consumer.id,
                                  sessionId=sid)
    if offer is None:
        assert "offer" not in start or start["offer"] is None, start
    else:
        assert start.get("offer") == offer, start
    return sid


# ---- the runner ----

def case(*relay_args):
    """Marks an async test function; it gets a started Relay with these
    extra command-line arguments (or none when relay_args is (None,))."""
    def mark(fn):
        fn.relay_args = relay_args
        return fn
    return mark


async def _run_case(fn):
    args = getattr(fn, "relay_args", ())
    relay = None
    try:
        if args == (None,):
            await asyncio.wait_for(fn(), CASE_TIMEOUT)
        else:
            relay = await Relay(*args).start()
            await asyncio.wait_for(fn(relay), CASE_TIMEOUT)
        return None, relay
    except Exception:  # noqa: BLE001 - every failure is reported
        return traceback.format_exc(), relay
    finally:
        if relay:
            relay.kill()
            if relay.proc:
                try:
                    await asyncio.wait_for(relay.proc.wait(), TIMEOUT)
                except asyncio.TimeoutError:
                    pass


def main(module_globals):
    """Runs every `test_*` coroutine of the calling module as a TAP case."""
    tests = [(n, f) for n, f in module_globals.items()
             if n.startswith("test_") and inspect.iscoroutinefunction(f)]
    tests.sort(key=lambda t: t[1].__code__.co_firstlineno)
    only = sys.argv[1:]
    if only:
        tests = [t for t in tests if t[0] in only]
    if websockets is None:
        print("1..0 # SKIP python3-websockets is not installed "
              "(run with /usr/bin/python3)")
        return 0
    print(f"1..{len(tests)}", flush=True)
    failed = 0
    for i, (name, fn) in enumerate(tests, 1):
        skip = getattr(fn, "skip_reason", None)
        if skip and skip():
            print(f"ok {i} - {name} # SKIP {skip()}", flush=True)
            continue
        error, relay = asyncio.run(_run_case(fn))
        if error is None:
            print(f"ok {i} - {name}", flush=True)
            continue
        failed += 1
        print(f"not ok {i} - {name}", flush=True)
        for line in error.rstrip().splitlines():
            print(f"# {line}")
        if relay:
            print("# relay log:")
            for line in relay.lines[-40:]:
                print(f"#   {line}")
        sys.stdout.flush()
    return 1 if failed else 0


def skip_if(reason_fn):
    """Skips a case when reason_fn() returns a reason."""
    def mark(fn):
        fn.skip_reason = reason_fn
        return fn
    return mark
