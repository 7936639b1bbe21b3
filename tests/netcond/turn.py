"""A TURN server between a sender and a receiver that cannot reach each
other (issue 11, NAT traversal): the network-conditions rig
(tests/restart/netpaths.py) with a third namespace holding coturn.

    sender (gws-rst-PID-snd)     middle (...-mid)          receiver (...-rcv)
      ts 10.99.21.1/24 <------> ts 10.99.21.254
                                tr 10.99.22.254 <------> tr 10.99.22.2/24
                                lo 10.99.20.1/32 (relay address)
      ps 10.99.3.1/24  <------------ signalling ------------> ps 10.99.3.2/24

No namespace routes: the sender and the receiver each reach only their own
side of the middle (and each other on the signalling link, which ICE is
not given). coturn listens on 10.99.21.254 and 10.99.22.254 (3478 UDP and
TCP, 5349 TLS with a self-signed certificate made here) and relays from
10.99.20.1. It refuses to relay to any other address (`denied-peer-ip`
10.99.0.0/16 but `allowed-peer-ip` 10.99.20.1): a relayed candidate can
only reach the other side's relayed candidate, so the one pair that works
is relay/relay, as between two peers behind NATs that each see only the
TURN server. (coturn 4.6.1 denies no private range by default; it denies
loopback peers unless `allow-loopback-peers`.)
"""

import os
import secrets
import subprocess

from harness import Proc
from netpaths import PATHS, Topology, run

TURN_PATHS = {
    # name: (veth, address in the sender/receiver namespace, middle side)
    "ts": ("ts", "10.99.21.1", "10.99.21.254"),
    "tr": ("tr", "10.99.22.2", "10.99.22.254"),
}
RELAY_IP = "10.99.20.1"
REALM = "gws.test"
USER = "gws"


class TurnTopology(Topology):
    """Sender and receiver with only the signalling link between them, and
    the middle namespace `mid` with one veth to each."""

    def __init__(self):
        self.mid = None
        super().__init__(paths=("S",))

    def _create(self):
        super()._create()
        self.mid = self.snd[:-len("snd")] + "mid"
        run("ip", "netns", "add", self.mid)
        run("ip", "-n", self.mid, "link", "set", "lo", "up")
        run("ip", "-n", self.mid, "addr", "add", RELAY_IP + "/32", "dev",
            "lo")
        for side, key in (("snd", "ts"), ("rcv", "tr")):
            dev, addr, mid_addr = TURN_PATHS[key]
            run("ip", "link", "add", dev, "netns", self.ns(side), "type",
                "veth", "peer", "name", dev, "netns", self.mid)
            run("ip", "-n", self.ns(side), "addr", "add", addr + "/24",
                "dev", dev)
            run("ip", "-n", self.mid, "addr", "add", mid_addr + "/24", "dev",
                dev)
            run("ip", "-n", self.ns(side), "link", "set", dev, "up")
            run("ip", "-n", self.mid, "link", "set", dev, "up")

    def close(self):
        if not self.closed and self.mid:
            from netpaths import _kill_ns_procs
            _kill_ns_procs(self.mid)
            run("ip", "netns", "del", self.mid, check=False)
        super().close()

    @staticmethod
    def addr(side, path):
        """`path` "T" is the side's veth to the TURN server."""
        if path == "T":
            return TURN_PATHS["ts" if side == "snd" else "tr"][1]
        return PATHS[path][1 if side == "snd" else 2]

    @staticmethod
    def turn_addr(side):
        """The TURN server's address as seen from `side`."""
        return TURN_PATHS["ts" if side == "snd" else "tr"][2]

    def block(self, side, what):
        """nftables in `side`'s namespace: drops what leaves towards the
        TURN server: "udp" (all UDP), "tcp-3478" (plain TURN/TCP) or both
        via two calls. Returns the table name (one per call)."""
        table = "gwsblock" + what.replace("-", "")
        ns = self.ns(side)
        run("ip", "netns", "exec", ns, "nft", "add", "table", "inet", table)
        run("ip", "netns", "exec", ns, "nft", "add", "chain", "inet", table,
            "out", "{ type filter hook output priority 0; }")
        if what == "udp":
            rule = ["meta", "l4proto", "udp"]
        elif what == "tcp-3478":
            rule = ["tcp", "dport", "3478"]
        else:
            raise ValueError(what)
        run("ip", "netns", "exec", ns, "nft", "add", "rule", "inet", table,
            "out", "oifname", "ts" if side == "snd" else "tr", *rule,
            "counter", "drop")
        return table

    def watch_tls(self, side):
        """Counts, in `side`'s namespace, the TCP segments sent to the TURN
        server's TLS port (5349) that start a TLS record (first payload
        byte 0x16, a handshake) and those that start a plain STUN/TURN
        message (first byte 0x00 or 0x01: STUN's top bits are 0). Read
        with tls_counts()."""
        ns, dev = self.ns(side), "ts" if side == "snd" else "tr"
        run("ip", "netns", "exec", ns, "nft", "add", "table", "inet",
            "gwstls")
        run("ip", "netns", "exec", ns, "nft", "add", "chain", "inet",
            "gwstls", "out", "{ type filter hook output priority -10; }")
        for comment, match in (("tls", ["@ih,0,8", "0x16"]),
                               ("plain", ["@ih,0,7", "0x00"])):
            run("ip", "netns", "exec", ns, "nft", "add", "rule", "inet",
                "gwstls", "out", "oifname", dev, "tcp", "dport", "5349",
                *match, "counter", "comment", '"{}"'.format(comment))

    def tls_counts(self, side):
        """{"tls": segments, "plain": segments} since watch_tls()."""
        import re
        out = run("ip", "netns", "exec", self.ns(side), "nft", "list",
                  "table", "inet", "gwstls").stdout
        got = {}
        for line in out.splitlines():
            m = re.search(r"counter packets (\d+).*comment \"(\w+)\"", line)
            if m:
                got[m.group(2)] = int(m.group(1))
        return got

    def blocked_packets(self, side, table):
        """Packets the rule of `table` dropped so far."""
        out = run("ip", "netns", "exec", self.ns(side), "nft", "list",
                  "table", "inet", table).stdout
        import re
        m = re.search(r"counter packets (\d+)", out)
        return int(m.group(1)) if m else 0


class Coturn:
    """coturn (`turnserver`, Debian package coturn) in the middle
    namespace, with long-term credentials USER:password in REALM, its
    configuration, certificate and log in `logdir`."""

    BIN = "/usr/bin/turnserver"

    def __init__(self, topo, logdir, procs):
        self.topo = topo
        self.password = secrets.token_hex(8)
        cert = os.path.join(logdir, "turn-cert.pem")
        key = os.path.join(logdir, "turn-key.pem")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
             "-keyout", key, "-out", cert, "-days", "1", "-subj",
             "/CN=turn." + REALM], check=True, capture_output=True)
        conf = os.path.join(logdir, "turnserver.conf")
        lines = ["listening-ip=" + TURN_PATHS[k][2] for k in TURN_PATHS]
        lines += [
            "relay-ip=" + RELAY_IP,
            "listening-port=3478",
            "tls-listening-port=5349",
            "realm=" + REALM,
            "lt-cred-mech",
            "user={}:{}".format(USER, self.password),
            "fingerprint",
            "cert=" + cert,
            "pkey=" + key,
            "no-cli",
            "no-multicast-peers",
            "no-software-attribute",
            "no-rfc5780",
            "denied-peer-ip=10.99.0.0-10.99.255.255",
            "allowed-peer-ip=" + RELAY_IP,
            "pidfile=" + os.path.join(logdir, "turnserver.pid"),
            "userdb=" + os.path.join(logdir, "turndb"),
            "log-file=stdout",
            "simple-log",
            "verbose",
        ]
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        argv = ["ip", "netns", "exec", topo.mid, self.BIN, "-c", conf]
        self.proc = Proc("coturn", argv, logdir, merge_stderr=True)
        procs.append(self.proc)
        # Ready once every listener is bound: coturn logs "Total General
        # servers" after the TCP/TLS and UDP/DTLS listeners of each address.
        self.proc.wait("coturn listening", lambda ev: "Total General servers"
                       in ev.get("text", ""), timeout=20)
        for k in TURN_PATHS:
            for port in ("3478", "5349"):
                opened = "listener opened on : {}:{}".format(TURN_PATHS[k][2],
                                                              port)
                if not self.log_lines(opened):
                    raise RuntimeError("coturn: no " + opened)

    def url(self, side, scheme="turn", transport=None, password=None):
        """A webrtcbin TURN URL for `side`'s address of the server."""
        port = 5349 if scheme == "turns" else 3478
        u = "{}://{}:{}@{}:{}".format(scheme, USER, password or self.password,
                                     self.topo.turn_addr(side), port)
        if transport:
            u += "?transport=" + transport
        return u

    def log_lines(self, needle):
        return [ev["text"] for ev in self.proc.select("line")
                if needle in ev.get("text", "")]
