#!/usr/bin/python3
"""Relay integration tests: the relay protocol over HTTP long-poll
(docs/protocol.md, "Long-poll"): the same messages and session rules as
WebSocket peers, sessions mixing the two transports, a lost GET replayed
without loss or duplicates, reaping, token, TLS, flood control, and bad
input on the HTTP endpoints, against the real relay process."""
import asyncio
import json
import os
import re
import socket
import ssl
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from polltest import PollClient, http_request  # noqa: E402
from relaytest import (TIMEOUT, UUID_RE, Client, Relay, case,  # noqa: E402
                       main, start_session)

HOLD = "--poll-hold=2"


@case(HOLD)
async def test_poll_peer_gets_welcome_and_lists(relay):
    p = await PollClient.connect(relay, name="p")
    assert UUID_RE.match(p.id), p.id
    assert re.fullmatch(r"[0-9a-f]{32}", p.secret), p.secret
    await p.register("producer", meta={"name": "poll cam"})
    q = await PollClient.connect(relay, name="q")
    assert q.secret != p.secret
    await q.send({"type": "list"})
    reply = await q.expect("list")
    assert reply["producers"] == [{"id": p.id, "meta": {"name": "poll cam"}}]
    await relay.wait_log(r"connection \d+ from 127\.0\.0\.1 \(long-poll\)")


@case(HOLD)
async def test_mixed_websocket_and_poll_session(relay):
    listener = await Client.connect(relay, name="ws-listener")
    await listener.register("listener")
    producer = await PollClient.connect(relay, name="poll-producer")
    await producer.register("producer", meta={"via": "poll"})
    seen = await listener.expect("peerStatusChanged", peerId=producer.id)
    assert seen["meta"] == {"via": "poll"}, seen

    # A WebSocket consumer calls the long-poll producer.
    consumer = await Client.connect(relay, name="ws-consumer")
    sid = await start_session(consumer, producer)
    offer = {"type": "offer", "sdp": "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n"}
    await producer.send({"type": "peer", "sessionId": sid, "sdp": offer})
    got = await consumer.expect("peer", sessionId=sid)
    assert got["sdp"] == offer, got
    ice = {"candidate": "candidate:1 1 UDP 1 127.0.0.1 9 typ host",
           "sdpMLineIndex": 0, "sdpMid": "video0", "usernameFragment": "u"}
    await consumer.send({"type": "peer", "sessionId": sid, "ice": ice})
    got = await producer.expect("peer", sessionId=sid)
    assert got["ice"] == ice, got

    # A long-poll consumer of a WebSocket producer, in v1_1.
    ws_producer = await Client.connect(relay, name="ws-producer")
    await ws_producer.register("producer")
    await listener.expect("peerStatusChanged", peerId=ws_producer.id)
    poll_consumer = await PollClient.connect(relay, name="poll-consumer")
    await poll_consumer.send({"type": "setProtocolVersion",
                              "version": "v1_1"})
    sid2 = await start_session(poll_consumer, ws_producer, offer="o")
    await ws_producer.send({"type": "endSession", "sessionId": sid2})
    end = await poll_consumer.expect("endSessionV1_1", sessionId=sid2)
    assert end.get("error") is None, end

    # Leaving (DELETE) ends the poll producer's session like a disconnect.
    await producer.close()
    await consumer.expect("endSession", sessionId=sid)
    gone = await listener.expect("peerStatusChanged", peerId=producer.id)
    assert gone["roles"] == [], gone
    status, _, _ = await http_request(relay.port, "GET",
                                      f"/poll/{producer.secret}?after=0")
    assert status == 404, status


@case(HOLD)
async def test_lost_answer_is_replayed_once(relay):
    producer = await PollClient.connect(relay, name="producer")
    await producer.register("producer")
    consumer = await Client.connect(relay, name="consumer")
    await consumer.send({"type": "startSession", "peerId": producer.id})
    sid = (await consumer.expect("sessionStarted"))["sessionId"]
    after = producer.last
    first = await producer.poll_once(after)
    assert [m["type"] for m in first["messages"]] == ["startSession"], first
    # The answer is "lost": the same GET again gets the same message with
    # the same number.
    again = await producer.poll_once(after)
    assert again == first, (first, again)
    # Acknowledging it: the next answer holds only what is new.
    await consumer.send({"type": "peer", "sessionId": sid,
                         "ice": {"candidate": "c", "sdpMLineIndex": 0}})
    nxt = await producer.poll_once(first["last"])
    assert [m["type"] for m in nxt["messages"]] == ["peer"], nxt
    assert nxt["last"] == first["last"] + 1, nxt
    # An acknowledged message cannot be asked for again.
    status, _, body = await producer.request("GET", f"after={after}")
    assert status == 409 and b"acknowledged" in body, (status, body)
    producer.last = nxt["last"]
    await producer.quiet()


@case(HOLD)
async def test_poll_peer_survives_a_dropped_get(relay):
    producer = await PollClient.connect(relay, name="producer")
    await producer.register("producer")
    # A held GET whose client goes away (a proxy dropping it) ...
    sock = socket.create_connection(("127.0.0.1", relay.port), TIMEOUT)
    sock.sendall(f"GET {producer.path(f'after={producer.last}')} HTTP/1.1\r\n"
                 f"Host: 127.0.0.1\r\n\r\n".encode())
    # ... is known held once a second GET replaces it; drop the first only
    # after the relay read it: the replacement answers it with 409.
    sock.settimeout(TIMEOUT)
    second = asyncio.ensure_future(producer.poll_once())
    head = await asyncio.to_thread(sock.recv, 4096)
    assert head.startswith(b"HTTP/1.1 409"), head
    sock.close()
    await second  # the hold time passes: an empty answer
    # Now a held GET dropped by its client before any answer.
    sock = socket.create_connection(("127.0.0.1", relay.port), TIMEOUT)
    sock.sendall(f"GET {producer.path(f'after={producer.last}')} HTTP/1.1\r\n"
                 f"Host: 127.0.0.1\r\n\r\n".encode())
    sock.close()
    # A message arrives meanwhile: it waits for the next GET.
    consumer = await Client.connect(relay, name="consumer")
    await consumer.send({"type": "startSession", "peerId": producer.id})
    sid = (await consumer.expect("sessionStarted"))["sessionId"]
    await producer.expect("startSession", sessionId=sid, peerId=consumer.id)
    await producer.quiet()
    # The peer is still in its session.
    await consumer.send({"type": "peer", "sessionId": sid,
                         "ice": {"candidate": "x", "sdpMLineIndex": 0}})
    await producer.expect("peer", sessionId=sid)


@case(HOLD, "--ping-interval=1")
async def test_poll_peer_that_stops_polling_is_reaped(relay):
    listener = await Client.connect(relay, name="listener")
    await listener.register("listener")
    p = await PollClient.connect(relay, name="p")
    await p.register("producer")
    await listener.expect("peerStatusChanged", peerId=p.id)
    # p polls no more: within 2.5 to 3.5 s the relay lets it go.
    gone = await listener.recv(timeout=10)
    assert gone["type"] == "peerStatusChanged" and gone["roles"] == [], gone
    await relay.wait_log(r"reaping connection \d+ .*stopped polling")
    reason = await p.wait_closed()
    assert "stopped polling" in reason, reason


@case(HOLD)
async def test_refused_claim_is_told_then_closed(relay):
    await Client.connect(relay, "peer-id=cam1", name="holder")
    p = await PollClient.connect(relay, "peer-id=cam1", welcome=False)
    reason = await p.wait_closed()
    assert any(m["type"] == "error" and "cam1" in m["details"]
               for m in p.inbox), p.inbox
    assert reason, reason
    status, _, body = await p.request("POST", body='{"type":"list"}')
    assert status == 410, (status, body)
    ok = await PollClient.connect(relay, "peer-id=cam2", name="cam2")
    assert ok.id == "cam2"


@case(HOLD)
async def test_bad_input_on_http_endpoints(relay):
    port = relay.port
    p = await PollClient.connect(relay, name="p")

    async def status_of(method, path, body=None, headers=None):
        status, _, text = await http_request(port, method, path, body, headers)
        assert text.strip(), f"{method} {path}: {status} without a reason"
        return status

    assert await status_of("GET", "/poll") == 405
    assert await status_of("PUT", p.path()) == 405
    assert await status_of("GET", "/poll/" + "0" * 32 + "?after=0") == 404
    assert await status_of("GET", p.path("after=0").replace(
        p.secret, p.secret + "/x")) == 404
    assert await status_of("GET", p.path("after=0").replace(
        p.secret, p.secret[:-1])) == 404
    assert await status_of("GET", p.path()) == 400              # no after
    assert await status_of("GET", p.path("after=x")) == 400
    assert await status_of("GET", p.path("after=-1")) == 400
    assert await status_of("GET", p.path("after=99")) == 400    # ahead
    assert await status_of("GET", p.path("after=1" + "0" * 30)) == 400
    assert await status_of("POST", p.path(), b"") == 400
    assert await status_of("POST", p.path(), b"  \n") == 400
    assert await status_of("POST", p.path(), b"[{\"type\":") == 400
    assert await status_of("POST", p.path(), b"[" + b",".join(
        [b"{}"] * 1025) + b"]") == 413
    assert await status_of("POST", p.path(), b"x" * (2 << 20)) == 413
    # A chunked body has no length to check: it is read and dropped, never
    # kept, then refused (as a body over the limit is).
    sock = socket.create_connection(("127.0.0.1", port), TIMEOUT)
    chunk = b"x" * 65536
    sock.sendall(f"POST {p.path()} HTTP/1.1\r\nHost: x\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n".encode()
                 + (b"10000\r\n" + chunk + b"\r\n") * 20 + b"0\r\n\r\n")
    sock.settimeout(TIMEOUT)
    head = await asyncio.to_thread(sock.recv, 4096)
    sock.close()
    assert head.startswith(b"HTTP/1.1 411"), head

    # Bad messages get the router's errors, in the stream, as over WebSocket.
    await p.send("not json")
    await p.expect_error()
    await p.send("[1, {\"type\": \"nope\"}]")
    await p.expect_error("object")
    await p.expect_error("nope")
    await p.send(json.dumps({"type": "setPeerStatus", "roles": ["producer"],
                             "meta": {"pad": "x" * 70000}}))
    await p.expect_error("65536")
    await p.quiet()
    # Nothing reached anybody else, and the relay is fine.
    other = await Client.connect(relay, name="other")
    await other.quiet()


@case(HOLD, "--flood-burst=5", "--flood-rate=1")
async def test_poll_flood_is_closed(relay):
    p = await PollClient.connect(relay, name="flooder")
    other = await PollClient.connect(relay, name="other")
    await p.send(json.dumps([{"type": "list"}] * 20))
    reason = await p.wait_closed()
    assert any(m["type"] == "error" and "too many" in m["details"]
               for m in p.inbox), p.inbox
    assert reason, reason
    await other.quiet()


@case(HOLD, "--token", "s3cret")
async def test_poll_needs_the_token(relay):
    status, head, _ = await http_request(relay.port, "POST", "/poll", b"")
    assert status == 401 and "Bearer" in head.get("WWW-Authenticate", ""), \
        (status, head)
    status, _, _ = await http_request(relay.port, "POST", "/poll?token=bad",
                                      b"")
    assert status == 401
    bearer = {"Authorization": "Bearer s3cret"}
    p = await PollClient.connect(relay, headers=bearer, name="header")
    q = await PollClient.connect(relay, "token=s3cret", name="query",
                                 token_query="token=s3cret")
    await q.register("producer")
    await p.send({"type": "list"})
    assert (await p.expect("list"))["producers"][0]["id"] == q.id
    # Every request needs it, not only the opening one.
    status, _, _ = await http_request(relay.port, "GET",
                                      f"/poll/{p.secret}?after={p.last}")
    assert status == 401
    status, _, _ = await http_request(relay.port, "POST",
                                      f"/poll/{q.secret}", b'{"type":"list"}')
    assert status == 401
    await q.quiet()
    await relay.wait_log(r"refused long-poll request .* \(HTTP 401\)")


@case(None)
async def test_poll_over_https(_=None):
    from test_access import make_cert
    with tempfile.TemporaryDirectory() as d:
        cert, key = make_cert(d)
        saved = os.environ.get("ASAN_OPTIONS")
        if os.environ.get("GWS_SANITIZED"):
            os.environ["ASAN_OPTIONS"] = (saved or "") + ":detect_leaks=0"
        relay = await Relay("--cert", cert, "--key", key, HOLD).start()
        if saved is not None:
            os.environ["ASAN_OPTIONS"] = saved
        try:
            await relay.wait_log(r"long-poll at https://127\.0\.0\.1:\d+/poll")
            ctx = ssl.create_default_context(cafile=cert)
            p = await PollClient.connect(relay, ctx=ctx)
            ws = await Client.connect(relay, "peer-id=w", ssl=ctx)
            await ws.register("producer")
            await p.send({"type": "list"})
            assert (await p.expect("list"))["producers"][0]["id"] == "w"
        finally:
            relay.kill()


@case(HOLD)
async def test_poll_peer_that_does_not_read_is_closed(relay):
    lazy = await PollClient.connect(relay, name="lazy")
    await lazy.register("listener")
    # A producer re-registers with a large meta: every change is queued for
    # the listener, which never asks for it; past 16 x 64 KiB it is closed.
    producer = await Client.connect(relay, name="producer")
    for i in range(20):
        await producer.send({"type": "setPeerStatus", "roles": ["producer"],
                             "meta": {"n": i, "pad": "x" * 60000}})
    await producer.quiet()
    await relay.wait_log(r"closing connection \d+ .*not reading its messages")
    reason = await lazy.wait_closed()
    assert "not reading" in reason, reason
    # The producer is untouched.
    await producer.quiet()


@case("--poll-hold=30")
async def test_held_get_is_answered_at_shutdown(relay):
    p = await PollClient.connect(relay, name="p")
    # A first GET, then a second: the second answers the first with 409,
    # which proves the first was held, and is itself held from then on.
    sock = socket.create_connection(("127.0.0.1", relay.port), TIMEOUT)
    sock.sendall(f"GET {p.path(f'after={p.last}')} HTTP/1.1\r\n"
                 f"Host: 127.0.0.1\r\n\r\n".encode())
    sock.settimeout(TIMEOUT)
    held = asyncio.ensure_future(p.poll_once())
    head = await asyncio.to_thread(sock.recv, 4096)
    sock.close()
    assert head.startswith(b"HTTP/1.1 409"), head
    # The relay shuts down: the held GET gets the reason at once.
    assert await relay.stop() == 0
    answer = await held
    assert answer["messages"] == [] and "shutting down" in answer["closed"], \
        answer


if __name__ == "__main__":
    sys.exit(main(globals()))
