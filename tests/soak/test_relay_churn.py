"""Soak: the relay under 10,000 short-lived connections (GWS_SOAK_FULL=1;
1,000 by default) of every kind of misbehaviour, next to two peers that
stay connected throughout and must still be served at the end. The relay's
RSS, descriptors and threads are printed at the start (after a warm-up),
the middle and the end, and must level off (soakfigures.py).

Kinds, in turn: a well-behaved peer (welcome, list, close), malformed JSON
and unknown messages, a binary frame, an oversized claim, a plain HTTP GET,
garbage instead of HTTP, a half-sent request, a connection closed at once."""
import asyncio
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "relay"))
import relaytest  # noqa: E402
from relaytest import Client, case, main, start_session  # noqa: E402
import soakfigures  # noqa: E402

FULL = bool(os.environ.get("GWS_SOAK_FULL"))
CONNECTIONS = 10000 if FULL else 1000
relaytest.CASE_TIMEOUT = 3600.0 if FULL else 300.0

UPGRADE = (b"GET /%s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
           b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           b"Sec-WebSocket-Version: 13\r\n\r\n")


def frame(payload, opcode=1):
    """One masked client frame (mask 0: payload unchanged)."""
    n = len(payload)
    head = bytes([0x80 | opcode])
    if n < 126:
        head += bytes([0x80 | n])
    else:
        head += bytes([0x80 | 126, n >> 8, n & 0xFF])
    return head + b"\0\0\0\0" + payload


async def raw(relay, data, read=True):
    reader, writer = await asyncio.open_connection("127.0.0.1", relay.port)
    try:
        if data:
            writer.write(data)
            await writer.drain()
        if read:
            await asyncio.wait_for(reader.read(4096), relaytest.TIMEOUT)
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except (ConnectionError, OSError):
            pass


async def one(relay, i):
    kind = i % 8
    if kind == 0:
        c = await Client.connect(relay, name=f"churn{i}")
        await c.quiet()
        await c.close()
    elif kind == 1:
        await raw(relay, UPGRADE % b"" + frame(b"{not json")
                  + frame(b'{"type":"dance"}') + frame(b"", opcode=8))
    elif kind == 2:
        await raw(relay, UPGRADE % b"" + frame(b"\x00\xff" * 40, opcode=2))
    elif kind == 3:
        await raw(relay, UPGRADE % (b"?peer-id=" + b"%ff" * 200))
    elif kind == 4:
        await raw(relay, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    elif kind == 5:
        await raw(relay, b"\x16\x03\x01garbage\r\n\r\n")
    elif kind == 6:
        await raw(relay, UPGRADE[:40], read=False)
    else:
        await raw(relay, b"", read=False)


@case()
async def test_short_lived_connections_and_malformed_traffic(relay):
    pid = relay.proc.pid
    producer = await Client.connect(relay, "peer-id=steady-producer")
    await producer.register("producer")
    listener = await Client.connect(relay, name="steady-listener")
    await listener.register("listener")
    await listener.quiet()

    warmup = CONNECTIONS // 10
    marks = {}
    for i in range(CONNECTIONS):
        if i == warmup:
            marks["start"] = soakfigures.figures(pid)
            soakfigures.show(f"start (after {warmup})", marks["start"])
        if i == (warmup + CONNECTIONS) // 2:
            marks["mid"] = soakfigures.figures(pid)
            soakfigures.show(f"middle (after {i})", marks["mid"])
        await one(relay, i)
    await listener.quiet()  # every close has been handled
    marks["end"] = soakfigures.figures(pid)
    soakfigures.show(f"end (after {CONNECTIONS})", marks["end"])

    # The steady peers are still served: a new session through the relay.
    consumer = await Client.connect(relay, name="late-consumer")
    sid = await start_session(consumer, producer)
    assert sid
    await listener.quiet()
    soakfigures.check(marks["start"], marks["mid"], marks["end"])


sys.exit(main(globals()))
