#!/usr/bin/python3
"""Relay integration tests: the relay's own WebSocket framing on ws://
(signaling/relay/ws_frame.*, plain_ws_link.*), spoken byte by byte over a raw
TCP connection: what a client may send (fragments, control frames between
them, frames right behind the upgrade request, frames split across TCP
writes) and how a broken frame is answered (its close code), with the other
peers unaffected."""
import asyncio
import base64
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from relaytest import TIMEOUT, Client, case, main  # noqa: E402


def frame(opcode, payload, fin=True, masked=True, rsv=0):
    """One client frame (masked unless told otherwise)."""
    if isinstance(payload, str):
        payload = payload.encode()
    head = bytes([(0x80 if fin else 0) | rsv | opcode])
    bit = 0x80 if masked else 0
    n = len(payload)
    if n < 126:
        head += bytes([bit | n])
    elif n < 65536:
        head += bytes([bit | 126]) + n.to_bytes(2, "big")
    else:
        head += bytes([bit | 127]) + n.to_bytes(8, "big")
    if not masked:
        return head + payload
    mask = os.urandom(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def upgrade_request(port, query="peer-id=raw"):
    key = base64.b64encode(os.urandom(16)).decode()
    return (f"GET /?{query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()


class Raw:
    """A WebSocket client written by hand: raw frames out, frames in."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, relay, behind_request=b""):
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", relay.port), TIMEOUT)
        writer.write(upgrade_request(relay.port) + behind_request)
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
        assert head.startswith(b"HTTP/1.1 101"), head
        return cls(reader, writer)

    async def send(self, data):
        self.writer.write(data)
        await self.writer.drain()

    async def frame(self):
        """The next server frame: (opcode, payload). Server frames are never
        masked."""
        async def read():
            b0, b1 = await self.reader.readexactly(2)
            assert not b1 & 0x80, "the server masked a frame"
            assert b0 & 0x80, "the server fragmented a frame"
            n = b1 & 0x7F
            if n == 126:
                n = int.from_bytes(await self.reader.readexactly(2), "big")
            elif n == 127:
                n = int.from_bytes(await self.reader.readexactly(8), "big")
            return b0 & 0x0F, await self.reader.readexactly(n)
        return await asyncio.wait_for(read(), TIMEOUT)

    async def message(self):
        """The next text message (pings skipped), parsed."""
        while True:
            op, payload = await self.frame()
            if op == 0x9:
                continue
            assert op == 0x1, (op, payload)
            return json.loads(payload)

    async def close_code(self):
        """Reads until the server's close frame; returns its code, then
        checks that the server hangs up."""
        while True:
            op, payload = await self.frame()
            if op == 0x8:
                break
        code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
        rest = await asyncio.wait_for(self.reader.read(), TIMEOUT)
        assert rest == b"", rest
        return code

    def close(self):
        self.writer.close()


LIST = json.dumps({"type": "list"})


@case()
async def test_frames_behind_the_upgrade_request_are_read(relay):
    raw = await Raw.connect(relay, behind_request=frame(0x1, LIST))
    assert (await raw.message())["type"] == "welcome"
    assert (await raw.message())["type"] == "list"
    raw.close()


@case()
async def test_fragments_with_control_frames_between(relay):
    raw = await Raw.connect(relay)
    assert (await raw.message())["type"] == "welcome"
    half = len(LIST) // 2
    await raw.send(frame(0x1, LIST[:half], fin=False)
                   + frame(0x9, b"are you there")
                   + frame(0x0, LIST[half:-1], fin=False)
                   + frame(0xA, b"")
                   + frame(0x0, LIST[-1:]))
    op, payload = await raw.frame()
    assert (op, payload) == (0xA, b"are you there"), (op, payload)
    assert (await raw.message())["type"] == "list"
    raw.close()


@case()
async def test_frames_split_across_writes(relay):
    raw = await Raw.connect(relay)
    assert (await raw.message())["type"] == "welcome"
    big = json.dumps({"type": "list", "pad": "x" * 300})  # 16-bit length
    data = frame(0x1, LIST) + frame(0x1, big)
    for i in range(len(data)):
        await raw.send(data[i:i + 1])
    assert (await raw.message())["type"] == "list"
    assert (await raw.message())["type"] == "list"
    raw.close()


@case()
async def test_close_handshake_echoes_the_code(relay):
    raw = await Raw.connect(relay)
    assert (await raw.message())["type"] == "welcome"
    await raw.send(frame(0x8, (1000).to_bytes(2, "big") + b"done"))
    assert await raw.close_code() == 1000
    await relay.wait_log(r"connection \d+ from .* closed \(code 1000\)")


async def check_broken(relay, data, code):
    other = await Client.connect(relay, name="other")
    raw = await Raw.connect(relay)
    assert (await raw.message())["type"] == "welcome"
    await raw.send(data)
    assert await raw.close_code() == code
    await relay.wait_log(r"peer raw disconnected")
    await other.quiet()


@case()
async def test_unmasked_frame_closes_1002(relay):
    await check_broken(relay, frame(0x1, LIST, masked=False), 1002)


@case()
async def test_reserved_bits_close_1002(relay):
    await check_broken(relay, frame(0x1, LIST, rsv=0x40), 1002)


@case()
async def test_unknown_opcode_closes_1002(relay):
    await check_broken(relay, frame(0x3, LIST), 1002)


@case()
async def test_stray_continuation_closes_1002(relay):
    await check_broken(relay, frame(0x0, LIST), 1002)


@case()
async def test_bad_utf8_closes_1007(relay):
    await check_broken(relay, frame(0x1, b'{"type":"list","x":"\xff"}'), 1007)


@case("--max-message-size", "1000")
async def test_oversize_fragmented_message_closes_1009(relay):
    part = "x" * 9000
    await check_broken(relay, frame(0x1, part, fin=False)
                       + frame(0x0, part, fin=False), 1009)


if __name__ == "__main__":
    sys.exit(main(globals()))
