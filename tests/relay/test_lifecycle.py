#!/usr/bin/python3
"""Relay integration tests: connections ending (disconnect mid-session,
flood control, keepalive reaping) and the relay ending (SIGTERM/SIGINT)."""
import asyncio
import base64
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from relaytest import (TIMEOUT, Client, case, main,  # noqa: E402
                       start_session, websockets)


@case()
async def test_consumer_disconnect_mid_session(relay):
    listener = await Client.connect(relay, name="listener")
    await listener.register("listener")
    producer = await Client.connect(relay, name="producer")
    await producer.register("producer")
    await listener.expect("peerStatusChanged", peerId=producer.id)
    consumer = await Client.connect(relay, name="consumer")
    await consumer.register("consumer")
    await listener.expect("peerStatusChanged", peerId=consumer.id,
                          roles=["consumer"])
    sid = await start_session(consumer, producer)

    await consumer.close()
    await producer.expect("endSession", sessionId=sid)
    gone = await listener.expect("peerStatusChanged", peerId=consumer.id)
    assert gone["roles"] == [], gone
    # The producer's own session state is clean: a new consumer works.
    again = await Client.connect(relay, name="again")
    await start_session(again, producer)


@case()
async def test_producer_disconnect_ends_all_its_sessions(relay):
    listener = await Client.connect(relay, name="listener")
    await listener.register("listener")
    producer = await Client.connect(relay, name="producer")
    await producer.register("producer")
    await listener.expect("peerStatusChanged", peerId=producer.id)
    c1 = await Client.connect(relay, name="c1")
    c2 = await Client.connect(relay, name="c2")
    s1 = await start_session(c1, producer)
    s2 = await start_session(c2, producer)

    await producer.close()
    await c1.expect("endSession", sessionId=s1)
    await c2.expect("endSession", sessionId=s2)
    gone = await listener.expect("peerStatusChanged", peerId=producer.id)
    assert gone["roles"] == [], gone
    # Its sessions are gone for good.
    await c1.send({"type": "peer", "sessionId": s1,
                   "ice": {"candidate": "x", "sdpMLineIndex": 0}})
    await c1.expect_error(s1)
    listing = await c2.quiet()
    assert listing["producers"] == [], listing


@case()
async def test_flooding_peer_is_disconnected_others_unaffected(relay):
    producer = await Client.connect(relay, name="producer")
    await producer.register("producer")
    consumer = await Client.connect(relay, name="consumer")
    sid = await start_session(consumer, producer)

    # max_queue=None: the flooder keeps reading, so it sees the close.
    flooder = await Client.connect(relay, name="flooder", max_queue=None)
    await flooder.register("listener")
    try:
        for _ in range(3000):
            await flooder.send({"type": "list"})
    except websockets.exceptions.ConnectionClosed:
        pass
    code = await flooder.wait_closed()
    assert code == 1008, code  # policy violation
    await relay.wait_log(r"too many messages")

    # The session between the others carries on.
    offer = {"type": "offer", "sdp": "v=0\r\n"}
    await producer.send({"type": "peer", "sessionId": sid, "sdp": offer})
    assert (await consumer.expect("peer", sessionId=sid))["sdp"] == offer
    listing = await consumer.quiet()
    assert [p["id"] for p in listing["producers"]] == [producer.id]


@case("--flood-rate", "5", "--flood-burst", "10")
async def test_binary_flood_is_disconnected(relay):
    flooder = await Client.connect(relay, name="flooder", max_queue=None)
    try:
        for _ in range(100):
            await flooder.send(b"\x01\x02")
    except websockets.exceptions.ConnectionClosed:
        pass
    assert await flooder.wait_closed() == 1008


async def silent_websocket(port):
    """A WebSocket client that completes the handshake, then never answers
    anything (no pongs): a dead peer as the relay sees it."""
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", port), TIMEOUT)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        f"GET /?peer-id=silent HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Upgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        .encode())
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer


@case("--ping-interval", "1")
async def test_dead_connection_is_reaped_live_one_kept(relay):
    listener = await Client.connect(relay, name="listener",
                                    ping_interval=None)
    await listener.register("listener")
    reader, writer = await silent_websocket(relay.port)

    # The relay pings every second; the silent peer is closed after about
    # 2.5 s without an answer. Read (and ignore) until the relay hangs up.
    async def until_eof():
        while await reader.read(4096):
            pass
    await asyncio.wait_for(until_eof(), 15)
    writer.close()
    await relay.wait_log(r"reaping connection \d+ .*\(peer silent\)")

    # The live client answered every ping (its library pongs) and was never
    # reaped, although it sent no message for the whole time.
    await listener.quiet()
    assert not any("reaping" in line and "silent" not in line
                   for line in relay.lines), relay.lines


@case("--request-timeout", "1")
async def test_silent_or_slow_http_clients_are_dropped(relay):
    # One connects and says nothing; one starts an upgrade and stalls.
    silent_r, silent_w = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", relay.port), TIMEOUT)
    slow_r, slow_w = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", relay.port), TIMEOUT)
    slow_w.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket")
    await slow_w.drain()
    # A real client connected at the same time outlives the timeout.
    live = await Client.connect(relay, name="live", ping_interval=None)
    for reader in (silent_r, slow_r):
        assert await asyncio.wait_for(reader.read(), 10) == b""
    await relay.wait_log(r"dropping connection from 127\.0\.0\.1:\d+: "
                         r"no complete request")
    for w in (silent_w, slow_w):
        w.close()
    await live.quiet()


def client_text_frame(text):
    """One masked WebSocket text frame, as a client must send it."""
    data = text.encode()
    mask = os.urandom(4)
    head = bytes([0x81])
    if len(data) < 126:
        head += bytes([0x80 | len(data)])
    else:
        head += bytes([0x80 | 126]) + len(data).to_bytes(2, "big")
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


@case("--ping-interval", "1")
async def test_peer_that_never_reads_is_closed(relay):
    # Big list replies, asked for by a peer that never reads them: the
    # relay must not queue them forever.
    for i in range(20):
        p = await Client.connect(relay, f"peer-id=p{i}", name=f"p{i}")
        await p.register("producer", meta={"pad": "x" * 4000})
    reader, writer = await silent_websocket(relay.port)
    start = len(relay.lines)

    async def ask_forever():
        while True:
            writer.write(client_text_frame('{"type":"list"}') * 20)
            await writer.drain()
            await asyncio.sleep(0.2)  # pacing under the flood limit
    asker = asyncio.create_task(ask_forever())
    try:
        await relay.wait_log(r"closing connection \d+ .*: not reading its "
                             r"messages", timeout=30, start=start)
        await relay.wait_log(r"peer silent disconnected", timeout=15,
                             start=start)
    finally:
        asker.cancel()
        writer.close()
    # Everybody else is fine.
    await p.quiet()


async def check_signal_shutdown(relay, sig):
    a = await Client.connect(relay, name="a")
    b = await Client.connect(relay, "peer-id=b", name="b")
    await b.register("producer")
    await start_session(a, b)
    assert await relay.stop(sig) == 0
    for c in (a, b):
        code = await c.wait_closed()
        assert code == 1001, code  # going away
    await relay.wait_log(r"shutting down")
    await relay.wait_log(r"stopped")


@case()
async def test_connection_churn_every_peer_still_served(relay):
    # Connections live in small groups with their own main contexts, watched
    # through one epoll set (signaling/relay/context_pool.h). Open enough of
    # them to fill several groups, close every other one so the kernel hands
    # the same descriptor numbers to new connections, and prove that every
    # connection, old or new, is still read from and written to.
    async def open_many(n, tag):
        return await asyncio.gather(*[
            Client.connect(relay, name=f"{tag}{i}") for i in range(n)])

    first = await open_many(150, "a")
    await asyncio.gather(*[c.close() for c in first[::2]])
    kept = first[1::2]
    fresh = await open_many(100, "b")
    everyone = kept + fresh
    # A list round trip on every connection at once.
    await asyncio.gather(*[c.quiet() for c in everyone])
    # Messages cross groups: producers among the old connections, consumers
    # among the new ones.
    for producer, consumer in zip(kept[:10], fresh[-10:]):
        await producer.register("producer")
        sid = await start_session(consumer, producer)
        ice = {"candidate": "candidate:1 1 UDP 1 127.0.0.1 9 typ host",
               "sdpMLineIndex": 0}
        await consumer.send({"type": "peer", "sessionId": sid, "ice": ice})
        got = await producer.expect("peer", sessionId=sid)
        assert got["ice"] == ice, got
        await producer.send({"type": "peer", "sessionId": sid, "ice": ice})
        got = await consumer.expect("peer", sessionId=sid)
        assert got["ice"] == ice, got
    await asyncio.gather(*[c.close() for c in everyone])


@case()
async def test_sigterm_closes_peers_and_exits_zero(relay):
    await check_signal_shutdown(relay, signal.SIGTERM)


@case()
async def test_sigint_closes_peers_and_exits_zero(relay):
    await check_signal_shutdown(relay, signal.SIGINT)


@case()
async def test_sigterm_with_unresponsive_peer_exits_zero(relay):
    # A peer that never answers the close frame does not hold the relay up
    # beyond its grace period.
    reader, writer = await silent_websocket(relay.port)
    await relay.wait_log(r"peer silent connected")
    assert await relay.stop(signal.SIGTERM, timeout=10) == 0
    await relay.wait_log(r"did not close in time|stopped")
    writer.close()


@case()
async def test_sigterm_when_idle_exits_zero(relay):
    assert await relay.stop(signal.SIGTERM) == 0


if __name__ == "__main__":
    sys.exit(main(globals()))
