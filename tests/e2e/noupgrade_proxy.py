#!/usr/bin/python3
"""A small HTTP reverse proxy that refuses WebSocket upgrades, like the
corporate proxies the relay's long-poll transport is for.

Usage: noupgrade_proxy.py LISTEN_PORT UPSTREAM_PORT   (both on 127.0.0.1)

Every request with an `Upgrade` header is answered `403 Forbidden` and
closed; every other request is forwarded to the upstream as is, one
request per connection (the relay closes its plain HTTP connections after
each answer), and the answer is copied back. Prints one JSON line per event
on stdout: {"event": "listening", "port": N}, {"event": "refused-upgrade"},
{"event": "forwarded", "method": ..., "path": ...}, {"event": "dropped",
"count": N}. On the line "drop" on stdin it cuts every GET still waiting
for its answer (a held long-poll GET) without answering, as a proxy timing
out would; "quit" ends it."""
import json
import os
import socket
import sys
import threading

lock = threading.Lock()
in_flight = {}  # client socket -> method, while its answer has not come


def say(**event):
    with lock:
        print(json.dumps(event), flush=True)


def read_head(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        data += chunk
        if len(data) > 1 << 20:
            return None, b""
    head, rest = data.split(b"\r\n\r\n", 1)
    return head.decode("latin-1"), rest


def serve(client, upstream_port):
    upstream = None
    try:
        head, rest = read_head(client)
        if head is None:
            return
        lines = head.split("\r\n")
        method, path = (lines[0].split(" ") + ["", ""])[:2]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "upgrade" in headers:
            client.sendall(b"HTTP/1.1 403 Forbidden\r\nConnection: close\r\n"
                           b"Content-Length: 25\r\n\r\nno WebSocket through here")
            say(event="refused-upgrade", path=path)
            return
        length = int(headers.get("content-length", "0") or 0)
        while len(rest) < length:
            chunk = client.recv(65536)
            if not chunk:
                return
            rest += chunk
        upstream = socket.create_connection(("127.0.0.1", upstream_port))
        # One request per connection: tell both sides.
        kept = [line for line in lines[1:]
                if not line.lower().startswith(("connection:", "keep-alive:"))]
        request = "\r\n".join([lines[0]] + kept + ["Connection: close"])
        upstream.sendall(request.encode("latin-1") + b"\r\n\r\n" + rest)
        with lock:
            in_flight[client] = method
        say(event="forwarded", method=method, path=path.split("?")[0])
        while True:
            chunk = upstream.recv(65536)
            if not chunk:
                break
            client.sendall(chunk)
    except OSError:
        pass
    finally:
        with lock:
            in_flight.pop(client, None)
        for s in (client, upstream):
            if s is not None:
                try:
                    s.close()
                except OSError:
                    pass


def drop_all():
    with lock:
        victims = [s for s, m in in_flight.items() if m == "GET"]
        for s in victims:
            del in_flight[s]
    for s in victims:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    say(event="dropped", count=len(victims))


def commands():
    for line in sys.stdin:
        if line.strip() == "drop":
            drop_all()
        elif line.strip() == "quit":
            break
    os._exit(0)


def main():
    listen_port, upstream_port = int(sys.argv[1]), int(sys.argv[2])
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", listen_port))
    server.listen(128)
    say(event="listening", port=server.getsockname()[1])
    threading.Thread(target=commands, daemon=True).start()
    while True:
        client, _ = server.accept()
        threading.Thread(target=serve, args=(client, upstream_port),
                         daemon=True).start()


if __name__ == "__main__":
    main()
