#!/usr/bin/python3
"""A consumer that hides its address behind an mDNS name, as Chromium does
without media permission: it speaks the relay protocol (python3-websockets),
asks PRODUCER for a session and sends one host candidate whose address is
`<uuid>.local`; then it waits until killed, printing what it receives.
Usage: mdns_peer.py WS_URL PRODUCER_ID
"""

import asyncio
import json
import sys

import websockets

CANDIDATE = ("candidate:1 1 udp 2122260223 "
             "3f0c2a1e-8d5b-4c7a-9e21-6b4d2f8a1c90.local 50123 typ host "
             "generation 0")


async def main(url, producer):
    async with websockets.connect(url) as ws:
        async for text in ws:
            msg = json.loads(text)
            print("<<", msg.get("type"), flush=True)
            if msg.get("type") == "welcome":
                await ws.send(json.dumps({"type": "startSession",
                                          "peerId": producer}))
            elif msg.get("type") == "sessionStarted":
                await ws.send(json.dumps({
                    "type": "peer", "sessionId": msg["sessionId"],
                    "ice": {"candidate": CANDIDATE, "sdpMLineIndex": 0}}))
                print("sent an mDNS candidate", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
