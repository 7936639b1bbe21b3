#!/usr/bin/python3
"""Relay integration tests: GET /metrics (Prometheus text format, parsed by
prometheus_client's own parser) and GET /status (JSON): the counters move
with real traffic, the gauges follow connections, peers and sessions, and
both endpoints need the access token when the relay has one."""
import asyncio
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from polltest import PollClient  # noqa: E402
from relaytest import (TIMEOUT, Client, case, main,  # noqa: E402
                       skip_if, start_session)

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:  # reported as a skip
    text_string_to_metric_families = None


def no_parser():
    if text_string_to_metric_families is None:
        return "python3-prometheus-client is not installed"
    return None


async def http_get(port, path, headers=None):
    """A raw HTTP/1.1 GET; returns (status, headers text, body)."""
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", port), TIMEOUT)
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}"
                 "Connection: close\r\n\r\n".encode())
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), TIMEOUT)
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), head.decode(errors="replace"), body


async def scrape(relay, query="", headers=None):
    """GET /metrics, parsed: {(sample name, ((label, value), ...)): value}
    and {family name: type}."""
    status, head, body = await http_get(relay.port, "/metrics" + query,
                                        headers)
    assert status == 200, head
    assert "text/plain; version=0.0.4" in head, head
    samples, types = {}, {}
    for family in text_string_to_metric_families(body.decode()):
        assert family.documentation, f"{family.name} has no HELP"
        assert family.name not in types, f"family {family.name} twice"
        types[family.name] = family.type
        for s in family.samples:
            key = (s.name, tuple(sorted(s.labels.items())))
            assert key not in samples, f"sample {key} twice"
            samples[key] = s.value
    return samples, types


def value(samples, name, **labels):
    key = (name, tuple(sorted(labels.items())))
    assert key in samples, f"no sample {key}"
    return samples[key]


@skip_if(no_parser)
@case()
async def test_metrics_parse_and_counters_move(relay):
    before, types = await scrape(relay)
    # Every family is typed, and the counters start at zero with every
    # label value present.
    assert types["gws_relay_messages_received"] == "counter", types
    assert types["gws_relay_open_connections"] == "gauge", types
    assert types["gws_relay_peers"] == "gauge", types
    for name in ["gws_relay_connections_total",
                 "gws_relay_sessions_started_total",
                 "gws_relay_received_bytes_total"]:
        assert value(before, name) == 0, name
    assert value(before, "gws_relay_open_connections") == 0
    assert value(before, "gws_relay_errors_total", cause="malformed") == 0
    assert value(before, "gws_relay_refusals_total", cause="unauthorized") == 0
    assert value(before, "gws_relay_messages_received_total",
                 type="setPeerStatus") == 0

    producer = await Client.connect(relay, "peer-id=cam1", name="producer")
    await producer.register("producer")
    consumer = await Client.connect(relay, name="consumer")
    await consumer.register("consumer", "listener")
    sid = await start_session(consumer, producer)
    await consumer.send({"type": "peer", "sessionId": sid,
                         "sdp": {"type": "offer", "sdp": "v=0\r\n"}})
    await producer.expect("peer", sessionId=sid)
    await consumer.send("not json")
    await consumer.expect_error()
    await consumer.send({"type": "startSession", "peerId": "nobody"})
    await consumer.expect_error("nobody")
    await consumer.send(b"\x00binary")
    await consumer.expect_error("binary")

    m, _ = await scrape(relay)
    assert value(m, "gws_relay_open_connections") == 2
    assert value(m, "gws_relay_connections_total") == 2
    assert value(m, "gws_relay_peers", role="producer") == 1
    assert value(m, "gws_relay_peers", role="consumer") == 1
    assert value(m, "gws_relay_peers", role="listener") == 1
    assert value(m, "gws_relay_peers", role="none") == 0
    assert value(m, "gws_relay_open_sessions") == 1
    assert value(m, "gws_relay_sessions_started_total") == 1
    received = "gws_relay_messages_received_total"
    sent = "gws_relay_messages_sent_total"
    assert value(m, received, type="setPeerStatus") == 2
    assert value(m, received, type="startSession") == 2
    assert value(m, received, type="peer") == 1
    # register() and the quiet() checks sent `list`s
    assert value(m, received, type="list") == value(m, sent, type="list") > 0
    assert value(m, received, type="unparsed") == 1
    assert value(m, sent, type="welcome") == 2
    assert value(m, sent, type="sessionStarted") == 1
    assert value(m, sent, type="startSession") == 1
    assert value(m, sent, type="peer") == 1
    assert value(m, sent, type="error") == 3
    # the consumer listens since its own registration, which it heard
    assert value(m, sent, type="peerStatusChanged") == 1
    assert value(m, "gws_relay_errors_total", cause="malformed") == 1
    assert value(m, "gws_relay_errors_total", cause="unknown_peer") == 1
    assert value(m, "gws_relay_errors_total", cause="binary") == 1
    assert value(m, "gws_relay_received_bytes_total") > len("not json")
    assert value(m, "gws_relay_sent_bytes_total") > 0

    # A disconnect ends the session and lowers the gauges.
    await consumer.close()
    await producer.expect("endSession", sessionId=sid)
    m2, _ = await scrape(relay)
    assert value(m2, "gws_relay_open_connections") == 1
    assert value(m2, "gws_relay_open_sessions") == 0
    assert value(m2, "gws_relay_sessions_ended_total") == 1
    assert value(m2, "gws_relay_peers", role="consumer") == 0
    assert value(m2, "gws_relay_connections_total") == 2
    assert value(m2, "gws_relay_sent_bytes_total") > value(
        m, "gws_relay_sent_bytes_total")


@skip_if(no_parser)
@case()
async def test_refusals_by_cause(relay):
    first = await Client.connect(relay, "peer-id=cam1")
    await first.quiet()
    second = await Client.connect(relay, "peer-id=cam1", welcome=False)
    await second.expect_error("already in use")
    await second.wait_closed()
    m, _ = await scrape(relay)
    assert value(m, "gws_relay_refusals_total", cause="peer_id_claim") == 1
    assert value(m, "gws_relay_refusals_total", cause="unauthorized") == 0


@skip_if(no_parser)
@case("--token", "s3cret")
async def test_metrics_need_the_token(relay):
    for path in ["/metrics", "/status", "/metrics?token=wrong"]:
        status, head, _ = await http_get(relay.port, path)
        assert status == 401, (path, head)
        assert "WWW-Authenticate: Bearer" in head, head
    status, head, _ = await http_get(
        relay.port, "/metrics", {"Authorization": "Bearer wrong"})
    assert status == 401, head
    # A refused WebSocket is counted ...
    status, _, _ = await http_get(
        relay.port, "/", {"Upgrade": "websocket", "Connection": "Upgrade",
                          "Sec-WebSocket-Version": "13",
                          "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
    assert status == 401
    # ... and seen with the token, by header or by query.
    m, _ = await scrape(relay, headers={"Authorization": "Bearer s3cret"})
    assert value(m, "gws_relay_refusals_total", cause="unauthorized") == 1
    m, _ = await scrape(relay, "?token=s3cret")
    assert value(m, "gws_relay_refusals_total", cause="unauthorized") == 1


@skip_if(no_parser)
@case()
async def test_longpoll_connections_counted(relay):
    """A long-poll peer counts as a connection of its own kind, its
    messages' bytes count, and it is gone from the gauge once it leaves."""
    before, types = await scrape(relay)
    assert types["gws_relay_open_longpoll_connections"] == "gauge", types
    assert types["gws_relay_longpoll_connections"] == "counter", types
    assert value(before, "gws_relay_open_longpoll_connections") == 0
    assert value(before, "gws_relay_longpoll_connections_total") == 0
    producer = await PollClient.connect(relay, "peer-id=cam1",
                                        name="poll-producer")
    await producer.register("producer")
    consumer = await Client.connect(relay, name="ws-consumer")
    sid = await start_session(consumer, producer)
    await producer.send({"type": "peer", "sessionId": sid,
                         "sdp": {"type": "offer", "sdp": "v=0\r\n"}})
    await consumer.expect("peer", sessionId=sid)

    m, _ = await scrape(relay)
    assert value(m, "gws_relay_open_longpoll_connections") == 1
    assert value(m, "gws_relay_longpoll_connections_total") == 1
    assert value(m, "gws_relay_open_connections") == 1  # the WebSocket one
    assert value(m, "gws_relay_connections_total") == 1
    assert value(m, "gws_relay_peers", role="producer") == 1
    assert value(m, "gws_relay_open_sessions") == 1
    # Both peers' messages are in the byte counters: the consumer sent one
    # startSession, the long-poll producer more (its registration, the
    # offer), so more than the WebSocket side alone received.
    ws_only = len(json.dumps({"type": "startSession", "peerId": "cam1"}))
    assert value(m, "gws_relay_received_bytes_total") > 2 * ws_only
    sent = value(m, "gws_relay_sent_bytes_total")

    await producer.close()
    await consumer.expect("endSession", sessionId=sid)
    m2, _ = await scrape(relay)
    assert value(m2, "gws_relay_open_longpoll_connections") == 0
    assert value(m2, "gws_relay_longpoll_connections_total") == 1
    assert value(m2, "gws_relay_open_sessions") == 0
    assert value(m2, "gws_relay_sent_bytes_total") > sent
    status, _, body = await http_get(relay.port, "/status")
    s = json.loads(body)
    assert s["longpoll_connections"] == 0, s
    assert s["longpoll_connections_total"] == 1, s


@case()
async def test_status_json(relay):
    producer = await Client.connect(relay, "peer-id=cam1")
    await producer.register("producer")
    consumer = await Client.connect(relay)
    await start_session(consumer, producer)
    status, head, body = await http_get(relay.port, "/status")
    assert status == 200, head
    assert "application/json" in head, head
    s = json.loads(body)
    assert s["connections"] == 2, s
    assert s["peers"] == {"producer": 1, "consumer": 0, "listener": 0,
                          "none": 1}, s
    assert s["sessions"] == 1 and s["sessions_started_total"] == 1, s
    assert s["messages_received"]["startSession"] == 1, s
    assert s["messages_sent"]["welcome"] == 2, s
    assert s["errors"]["malformed"] == 0, s
    assert s["refusals"]["unauthorized"] == 0, s
    assert s["uptime_seconds"] >= 0, s
    # Not an upgrade and not a known path: still the WebSocket hint.
    status, _, _ = await http_get(relay.port, "/other")
    assert status == 426


if __name__ == "__main__":
    sys.exit(main(globals()))
