#!/usr/bin/python3
"""Relay integration tests: the protocol flows upstream clients rely on
(welcome, roles and listeners, list/listConsumers, sessions both ways,
verbatim relaying, v1_1 endings, claimed ids), over real WebSockets."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from relaytest import UUID_RE, Client, case, main, start_session  # noqa: E402


@case()
async def test_welcome_gives_distinct_random_ids(relay):
    a = await Client.connect(relay, name="a")
    b = await Client.connect(relay, name="b")
    assert UUID_RE.match(a.id), a.id
    assert UUID_RE.match(b.id), b.id
    assert a.id != b.id
    await relay.wait_log(r"connection \d+ from 127\.0\.0\.1:\d+")


@case()
async def test_listeners_see_every_status_change_including_their_own(relay):
    listener = await Client.connect(relay, name="listener")
    await listener.send({"type": "setPeerStatus", "roles": ["listener"],
                         "meta": {"name": "viewer"}})
    own = await listener.expect("peerStatusChanged", peerId=listener.id)
    assert own["roles"] == ["listener"], own
    assert own["meta"] == {"name": "viewer"}, own

    producer = await Client.connect(relay, name="producer")
    await producer.register("producer", meta={"name": "cam", "x": [1, 2]})
    seen = await listener.expect("peerStatusChanged", peerId=producer.id)
    assert seen["roles"] == ["producer"], seen
    assert seen["meta"] == {"name": "cam", "x": [1, 2]}, seen
    # A non-listener is not told about others.
    await producer.quiet()

    # Unregistering (roles []) is announced too.
    await producer.register()
    gone = await listener.expect("peerStatusChanged", peerId=producer.id)
    assert gone["roles"] == [], gone


@case()
async def test_list_and_list_consumers(relay):
    p1 = await Client.connect(relay, name="p1")
    await p1.register("producer", meta={"name": "one"})
    p2 = await Client.connect(relay, name="p2")
    await p2.register("producer", "listener", meta=None)
    c = await Client.connect(relay, name="c")
    await c.register("consumer", meta={"name": "passive"})
    asker = await Client.connect(relay, name="asker")

    await asker.send({"type": "list"})
    reply = await asker.expect("list")
    got = {p["id"]: p.get("meta") for p in reply["producers"]}
    assert got == {p1.id: {"name": "one"}, p2.id: None}, reply

    await asker.send({"type": "listConsumers"})
    reply = await asker.expect("listConsumers")
    got = {p["id"]: p.get("meta") for p in reply["consumers"]}
    assert got == {c.id: {"name": "passive"}}, reply


@case()
async def test_session_started_reaches_caller_before_producer_offer(relay):
    producer = await Client.connect(relay, name="producer")
    await producer.register("producer")
    consumer = await Client.connect(relay, name="consumer")

    await consumer.send({"type": "startSession", "peerId": producer.id})
    start = await producer.expect("startSession", peerId=consumer.id)
    sid = start["sessionId"]
    # The producer offers at once; the consumer must see sessionStarted
    # first, then the offer.
    offer = {"type": "offer", "sdp": "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n"}
    await producer.send({"type": "peer", "sessionId": sid, "sdp": offer})
    await consumer.expect("sessionStarted", peerId=producer.id, sessionId=sid)
    got = await consumer.expect("peer", sessionId=sid)
    assert got["sdp"] == offer, got


@case()
async def test_offer_answer_and_ice_are_relayed_verbatim(relay):
    producer = await Client.connect(relay, name="producer")
    await producer.register("producer")
    consumer = await Client.connect(relay, name="consumer")
    sid = await start_session(consumer, producer)

    offer = {"type": "offer", "sdp": "v=0\r\na=group:BUNDLE 0 1\r\n"}
    await producer.send({"type": "peer", "sessionId": sid, "sdp": offer})
    assert (await consumer.expect("peer", sessionId=sid))["sdp"] == offer

    answer = {"type": "answer", "sdp": "v=0\r\na=ice-ufrag:abcd\r\n"}
    await consumer.send({"type": "peer", "sessionId": sid, "sdp": answer})
    assert (await producer.expect("peer", sessionId=sid))["sdp"] == answer

    # A browser's candidate.toJSON(): every field survives.
    ice = {"candidate": "candidate:1 1 UDP 2122252543 127.0.0.1 40000 typ "
                        "host", "sdpMid": "0", "sdpMLineIndex": 0,
           "usernameFragment": "abcd"}
    await consumer.send({"type": "peer", "sessionId": sid, "ice": ice})
    assert (await producer.expect("peer", sessionId=sid))["ice"] == ice
    # End of candidates, as browsers send it: an empty candidate.
    eoc = {"candidate": "", "sdpMid": "0", "sdpMLineIndex": 0,
           "usernameFragment": None}
    await consumer.send({"type": "peer", "sessionId": sid, "ice": eoc})
    assert (await producer.expect("peer", sessionId=sid))["ice"] == eoc
    ice2 = {"candidate": "candidate:2 1 TCP 1015022079 127.0.0.1 9 typ host "
                         "tcptype active", "sdpMLineIndex": 1}
    await producer.send({"type": "peer", "sessionId": sid, "ice": ice2})
    assert (await consumer.expect("peer", sessionId=sid))["ice"] == ice2

    # Either side ends it; the other is told, and its echo is harmless.
    await consumer.send({"type": "endSession", "sessionId": sid})
    await producer.expect("endSession", sessionId=sid)
    await producer.send({"type": "endSession", "sessionId": sid})
    await producer.quiet()
    await consumer.quiet()
    await relay.wait_log(r"session \S+ ended")


@case()
async def test_consumer_offer_in_start_session(relay):
    producer = await Client.connect(relay, name="producer")
    await producer.register("producer")
    consumer = await Client.connect(relay, name="consumer")
    offer = "v=0\r\no=- 7 2 IN IP4 127.0.0.1\r\ns=consumer offer\r\n"
    sid = await start_session(consumer, producer, offer=offer)

    answer = {"type": "answer", "sdp": "v=0\r\ns=producer answer\r\n"}
    await producer.send({"type": "peer", "sessionId": sid, "sdp": answer})
    assert (await consumer.expect("peer", sessionId=sid))["sdp"] == answer


@case()
async def test_producer_starts_session_with_listening_consumer(relay):
    consumer = await Client.connect(relay, name="consumer")
    await consumer.register("consumer")
    producer = await Client.connect(relay, name="producer")
    await producer.register("producer")

    await producer.send({"type": "startSession", "peerId": consumer.id})
    started = await producer.expect("sessionStarted", peerId=consumer.id)
    sid = started["sessionId"]
    await consumer.expect("startSession", peerId=producer.id, sessionId=sid)
    # The producer is still the offering side.
    offer = {"type": "offer", "sdp": "v=0\r\n"}
    await producer.send({"type": "peer", "sessionId": sid, "sdp": offer})
    assert (await consumer.expect("peer", sessionId=sid))["sdp"] == offer


@case()
async def test_v1_1_end_session_carries_error_v1_0_gets_plain(relay):
    producer = await Client.connect(relay, name="producer")
    await producer.send({"type": "setProtocolVersion", "version": "v1_1"})
    await producer.register("producer")
    new = await Client.connect(relay, name="v1_1 consumer")
    await new.send({"type": "setProtocolVersion", "version": "v1_1"})
    old = await Client.connect(relay, name="v1_0 consumer")

    s_new = await start_session(new, producer)
    s_old = await start_session(old, producer)

    await producer.send({"type": "endSessionV1_1", "sessionId": s_new,
                         "error": "encoder failed"})
    got = await new.expect("endSessionV1_1", sessionId=s_new)
    assert got.get("error") == "encoder failed", got

    await producer.send({"type": "endSessionV1_1", "sessionId": s_old,
                         "error": "encoder failed"})
    got = await old.recv()
    assert got == {"type": "endSession", "sessionId": s_old}, got

    # A v1_0 peer may not use endSessionV1_1.
    s3 = await start_session(old, producer)
    await old.send({"type": "endSessionV1_1", "sessionId": s3, "error": None})
    await old.expect_error("v1_1")
    # A disconnect reaches a v1_1 peer as endSessionV1_1 with a reason.
    await old.close()
    got = await producer.expect("endSessionV1_1", sessionId=s3)
    assert isinstance(got.get("error"), str) and got["error"], got


@case()
async def test_set_protocol_version_only_first(relay):
    c = await Client.connect(relay)
    await c.send({"type": "list"})
    await c.expect("list")
    await c.send({"type": "setProtocolVersion", "version": "v1_1"})
    await c.expect_error("first")
    await c.quiet()


@case()
async def test_claimed_id_by_url_and_duplicate_refused(relay):
    listener = await Client.connect(relay, name="listener")
    await listener.register("listener")
    cam = await Client.connect(relay, "peer-id=cam1", name="cam1")
    assert cam.id == "cam1"
    await cam.register("producer", meta={"name": "door"})
    await listener.expect("peerStatusChanged", peerId="cam1",
                          roles=["producer"])

    # A second claim of cam1 is refused with an error and closed; the
    # holder keeps its id and keeps working.
    dup = await Client.connect(relay, "peer-id=cam1", name="dup",
                               welcome=False)
    await dup.expect_error("cam1", "in use")
    await dup.wait_closed()
    await cam.quiet()

    # Consumers reach the producer by the stable id.
    consumer = await Client.connect(relay, name="consumer")
    await start_session(consumer, cam)

    # Once cam1 leaves, the id is free again.
    await cam.close()
    await consumer.expect("endSession")
    await listener.expect("peerStatusChanged", peerId="cam1", roles=[])
    again = await Client.connect(relay, "peer-id=cam1", name="again")
    assert again.id == "cam1"


@case()
async def test_claimed_id_by_set_peer_status(relay):
    listener = await Client.connect(relay, name="listener")
    await listener.register("listener")
    cam = await Client.connect(relay, name="cam")
    await cam.register("producer", peer_id="cam2")
    seen = await listener.expect("peerStatusChanged", peerId="cam2")
    assert seen["roles"] == ["producer"], seen

    other = await Client.connect(relay, name="other")
    await other.send({"type": "setPeerStatus", "roles": ["producer"],
                      "meta": None, "peerId": "cam2"})
    await other.expect_error("cam2", "in use")
    await other.quiet()  # still open and usable
    await listener.quiet()  # nothing announced for the refused claim

    consumer = await Client.connect(relay, name="consumer")
    await start_session(consumer, cam)


@case()
async def test_invalid_claimed_id_refused(relay):
    bad = await Client.connect(relay, "peer-id=a%20b%2Fc", name="bad",
                               welcome=False)
    await bad.expect_error("peer id")
    await bad.wait_closed()


if __name__ == "__main__":
    sys.exit(main(globals()))
