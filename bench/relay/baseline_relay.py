#!/usr/bin/python3
"""The baseline for the relay benchmark: a minimal relay of the same protocol
written with Debian's python3-websockets, the kind of server people write in
an afternoon. It implements what the benchmark uses (welcome, setPeerStatus,
list, startSession/sessionStarted, peer forwarding, endSession) and no
validation beyond what Python raises. Usage: baseline_relay.py PORT"""
import asyncio
import json
import sys
import uuid

import websockets

peers = {}      # id -> websocket
roles = {}      # id -> list
sessions = {}   # session id -> (producer id, consumer id)


async def handler(ws, path=None):
    pid = str(uuid.uuid4())
    peers[pid] = ws
    await ws.send(json.dumps({"type": "welcome", "peerId": pid}))
    try:
        async for text in ws:
            msg = json.loads(text)
            t = msg.get("type")
            if t == "setPeerStatus":
                roles[pid] = msg.get("roles", [])
            elif t == "list":
                await ws.send(json.dumps({"type": "list", "producers": [
                    {"id": p, "meta": None} for p, r in roles.items()
                    if "producer" in r]}))
            elif t == "startSession":
                sid = str(uuid.uuid4())
                sessions[sid] = (msg["peerId"], pid)
                await ws.send(json.dumps({"type": "sessionStarted",
                                          "peerId": msg["peerId"],
                                          "sessionId": sid}))
                await peers[msg["peerId"]].send(json.dumps(
                    {"type": "startSession", "peerId": pid, "sessionId": sid}))
            elif t == "peer":
                prod, cons = sessions[msg["sessionId"]]
                other = cons if pid == prod else prod
                await peers[other].send(text)
            elif t == "endSession":
                prod, cons = sessions.pop(msg["sessionId"])
                other = cons if pid == prod else prod
                await peers[other].send(text)
    finally:
        del peers[pid]
        roles.pop(pid, None)


async def main():
    async with websockets.serve(handler, "127.0.0.1", int(sys.argv[1]),
                                ping_interval=30, max_size=65536):
        print(f"listening on ws://127.0.0.1:{sys.argv[1]}", flush=True)
        await asyncio.Future()


asyncio.run(main())
