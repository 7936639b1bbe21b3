#!/usr/bin/python3
"""Two network paths between a sender and a receiver, in namespaces.

Shared by the session-restart tests (tests/restart/run.py) and benchmark
(bench/restart/restart_bench.py). Needs root.

    sender namespace (gws-rst-PID-snd)       receiver namespace (...-rcv)
      pa 10.99.1.1/24  <--- path A --->  pa 10.99.1.2/24
      pb 10.99.2.1/24  <--- path B --->  pb 10.99.2.2/24
      ps 10.99.3.1/24  <- signalling ->  ps 10.99.3.2/24   (never cut)
      lo up                                lo up

The relay runs in the sender namespace on 10.99.3.1. Media must use only A
and B: both elements get `ice-addresses=<A addr>,<B addr>`. Which path
carries the media is read from the veths' byte counters (`ip -s -j link`).

The namespaces carry this process's pid in their names and are deleted at
exit (atexit and SIGTERM/SIGINT), together with every process still
running inside them; namespaces of earlier runs whose process is gone
(SIGKILL) are deleted when a new Topology is made.

Command line (to look around by hand):
    netpaths.py up      create, print the names, wait for Ctrl-C, delete
    netpaths.py control [--delayed A,B,S]
                        create (the paths listed through the delay line),
                        print {"snd", "rcv", "paths"} as one JSON
                        line, then obey commands on stdin, one a line, each
                        answered by one JSON line; EOF deletes everything
                        (the browser loss tests drive the rig this way):
        loss PERCENT [SIDE [PATH...]]   set_loss (default: both sides,
                                        every path; UDP only, so the
                                        signalling's TCP is never hit)
        rate KBIT [SIDE [PATH...]]      set_rate (default: the sender
                                        side, every path; 0 removes)
        counters SIDE                   counters(SIDE)
        delay MS [JITTER [PATH...]]     set_delay (default: every delayed
                                        path)
"""

import atexit
import json
import os
import re
import signal
import subprocess
import sys
import time

PREFIX = "gws-rst-"
PATHS = {
    # name: (veth in both namespaces, sender address, receiver address)
    "A": ("pa", "10.99.1.1", "10.99.1.2"),
    "B": ("pb", "10.99.2.1", "10.99.2.2"),
    "S": ("ps", "10.99.3.1", "10.99.3.2"),
}


def run(*argv, check=True):
    return subprocess.run(argv, check=check, capture_output=True, text=True)


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _netns_list():
    out = run("ip", "netns", "list", check=False).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def _kill_ns_procs(ns, sig=signal.SIGKILL):
    out = run("ip", "netns", "pids", ns, check=False).stdout
    for pid in out.split():
        try:
            os.kill(int(pid), sig)
        except (ProcessLookupError, ValueError):
            pass


def delete_stale():
    """Deletes namespaces left by runs whose process no longer exists."""
    for ns in _netns_list():
        m = re.match(re.escape(PREFIX) + r"(\d+)-(snd|rcv|mid|dly)$", ns)
        if m and not _pid_alive(int(m.group(1))):
            _kill_ns_procs(ns)
            run("ip", "netns", "del", ns, check=False)


def delayline_program():
    """The delay line's executable (tests/netcond/delayline.c), built by
    meson: $GWS_DELAYLINE, else the one in $BUILD_DIR (default build/)."""
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                        "..")
    exe = os.environ.get("GWS_DELAYLINE") or os.path.join(
        root, os.environ.get("BUILD_DIR", "build"), "tests", "netcond",
        "gws-delayline")
    if not exe or not os.access(exe, os.X_OK):
        raise RuntimeError("no gws-delayline: build the project (meson "
                           "builds tests/netcond/delayline.c) and set "
                           "GWS_DELAYLINE to it")
    return exe


class Topology:
    """The two namespaces and three veth pairs (or the `paths` named);
    `close()` (also at exit) deletes them.

    Paths named in `delayed` are not one veth pair but two, through a third
    namespace (...-dly) where a user-space bridge holds every frame for a
    time (gws-delayline, tests/netcond/delayline.c: this kernel has no
    netem): `set_delay(path, ms, jitter_ms)` sets it while media flows
    (0 at the start). The ends keep their names and addresses, so loss
    rules, caps, counters and link cuts work on them as on a direct path."""

    def __init__(self, paths=None, delayed=()):
        if os.geteuid() != 0:
            raise PermissionError("network namespaces need root")
        delete_stale()
        pid = os.getpid()
        self.snd = "{}{}-snd".format(PREFIX, pid)
        self.rcv = "{}{}-rcv".format(PREFIX, pid)
        self.paths = {p: PATHS[p] for p in (paths or PATHS)}
        self.delayed = tuple(p for p in delayed if p in self.paths)
        self.dly = "{}{}-dly".format(PREFIX, pid) if self.delayed else None
        self.delaylines = {}
        self.closed = False
        atexit.register(self.close)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            if signal.getsignal(sig) in (signal.SIG_DFL, None,
                                         signal.default_int_handler):
                signal.signal(sig, self._on_signal)
        try:
            self._create()
        except BaseException:
            self.close()
            raise

    def _on_signal(self, signum, _frame):
        self.close()
        sys.exit(128 + signum)

    def _create(self):
        for ns in (self.snd, self.rcv) + ((self.dly,) if self.dly else ()):
            run("ip", "netns", "add", ns)
            run("ip", "-n", ns, "link", "set", "lo", "up")
        for name, (dev, saddr, raddr) in self.paths.items():
            # Created straight inside the namespaces: the same short name
            # on both ends, no clash with the host's or another run's.
            if name in self.delayed:
                # snd dev <-> dly dev+"s" | bridge | dly dev+"r" <-> rcv dev
                for side, ns in (("s", self.snd), ("r", self.rcv)):
                    run("ip", "link", "add", dev, "netns", ns, "type",
                        "veth", "peer", "name", dev + side, "netns",
                        self.dly)
                    run("ip", "-n", self.dly, "link", "set", dev + side,
                        "up")
            else:
                run("ip", "link", "add", dev, "netns", self.snd, "type",
                    "veth", "peer", "name", dev, "netns", self.rcv)
            run("ip", "-n", self.snd, "addr", "add", saddr + "/24", "dev",
                dev)
            run("ip", "-n", self.rcv, "addr", "add", raddr + "/24", "dev",
                dev)
            run("ip", "-n", self.snd, "link", "set", dev, "up")
            run("ip", "-n", self.rcv, "link", "set", dev, "up")
        # Wait for the links to be up (and IPv4 addresses usable).
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if all(self.link_up(side, p) for side in ("snd", "rcv")
                   for p in self.paths):
                break
            time.sleep(0.05)  # polling the link state, nothing to wait on
        else:
            raise RuntimeError("veth links did not come up")
        for name in self.delayed:
            dev = self.paths[name][0]
            p = subprocess.Popen(
                ["ip", "netns", "exec", self.dly, delayline_program(),
                 dev + "s", dev + "r", "--delay", "0"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            self.delaylines[name] = p
            if p.stdout.readline().strip() != "ready":
                raise RuntimeError("gws-delayline did not start on path "
                                   + name)

    def close(self):
        if self.closed:
            return
        self.closed = True
        spaces = (self.snd, self.rcv) + ((self.dly,) if self.dly else ())
        for ns in spaces:
            _kill_ns_procs(ns)
        for p in self.delaylines.values():
            p.wait()
            p.stdin.close()
            p.stdout.close()
        for ns in spaces:
            run("ip", "netns", "del", ns, check=False)

    # -- helpers ------------------------------------------------------------
    def ns(self, side):
        return self.snd if side == "snd" else self.rcv

    @staticmethod
    def addr(side, path):
        return PATHS[path][1 if side == "snd" else 2]

    @staticmethod
    def ice_addresses(side):
        """The media addresses (paths A and B) of one side."""
        return "{},{}".format(Topology.addr(side, "A"),
                              Topology.addr(side, "B"))

    def argv(self, side, argv):
        """argv to run a command inside a side's namespace."""
        return ["ip", "netns", "exec", self.ns(side)] + list(argv)

    def set_link(self, path, up, side="rcv"):
        """Cuts (up=False) or restores one path by setting its veth end in
        one namespace down or up (a veth pair goes down on both ends)."""
        run("ip", "-n", self.ns(side), "link", "set", PATHS[path][0],
            "up" if up else "down")

    def link_up(self, side, path):
        out = run("ip", "-n", self.ns(side), "-j", "link", "show", "dev",
                  PATHS[path][0]).stdout
        info = json.loads(out)[0]
        return "LOWER_UP" in info.get("flags", []) and info.get(
            "operstate") in ("UP", "UNKNOWN")

    def isolate_paths(self):
        """Each path carries only its own two addresses: every veth answers
        ARP only for the address it holds (arp_ignore=1). Without this an
        ICE pair may cross paths: libnice pins each host candidate's socket
        to its address's interface (IP_UNICAST_IF), so a pair from the
        sender's B address to the receiver's A address sends over B's veth
        (and B's cap), the receiver's B end answering ARP for its A
        address. Tests that give each receiver one path and mean "this
        consumer is behind that cap" need this (tests/netcond
        renditions)."""
        for side in ("snd", "rcv"):
            for dev, _s, _r in self.paths.values():
                run("ip", "netns", "exec", self.ns(side), "sysctl", "-qw",
                    "net.ipv4.conf.{}.arp_ignore=1".format(dev))

    def set_default_route(self, side, path, present):
        """Adds (or deletes) a default route via `path`'s far end in one
        namespace: what the OS does when another network comes up."""
        peer = PATHS[path][2 if side == "snd" else 1]
        run("ip", "-n", self.ns(side), "route", "add" if present else "del",
            "default", "via", peer, "dev", PATHS[path][0],
            check=present)

    def set_silent_drop(self, path, on):
        """Drops every UDP packet arriving over `path`, at both ends: the
        path dies without the OS saying anything (links stay up)."""
        dev, table = PATHS[path][0], "gwsdrop" + path.lower()
        for side in ("snd", "rcv"):
            ns = self.ns(side)
            run("ip", "netns", "exec", ns, "nft", "delete", "table", "inet",
                table, check=False)
            if not on:
                continue
            run("ip", "netns", "exec", ns, "nft", "add", "table", "inet",
                table)
            run("ip", "netns", "exec", ns, "nft", "add", "chain", "inet",
                table, "in", "{ type filter hook input priority 0; }")
            run("ip", "netns", "exec", ns, "nft", "add", "rule", "inet",
                table, "in", "iifname", dev, "meta", "l4proto", "udp",
                "drop")

    # -- impairments (the network-conditions rig, tests/netcond) ------------
    # This kernel has no netem: random loss is an nftables rule in the
    # receiving namespace, a bandwidth cap a tbf qdisc where packets leave.

    def set_loss(self, side, percent, path="A"):
        """Drops `percent` % of the UDP packets arriving at `side` over
        `path` (0 removes the rule). Both sides: loss both ways."""
        ns, dev = self.ns(side), PATHS[path][0]
        table = "gwsloss" + path.lower()
        run("ip", "netns", "exec", ns, "nft", "delete", "table", "inet",
            table, check=False)
        if percent <= 0:
            return
        run("ip", "netns", "exec", ns, "nft", "add", "table", "inet", table)
        run("ip", "netns", "exec", ns, "nft", "add", "chain", "inet", table,
            "in", "{ type filter hook input priority 0; }")
        run("ip", "netns", "exec", ns, "nft", "add", "rule", "inet", table,
            "in", "iifname", dev, "meta", "l4proto", "udp", "numgen",
            "random", "mod", "100", "<", str(int(percent)), "drop")

    def set_delay(self, path, ms, jitter_ms=0):
        """Holds every frame on a `delayed` path `ms` (+- `jitter_ms`,
        uniform, order kept) in each direction: the round trip grows by
        twice `ms`. 0 ends the delay."""
        p = self.delaylines[path]
        p.stdin.write("delay {} {}\n".format(float(ms), float(jitter_ms)))
        p.stdin.flush()
        answer = p.stdout.readline().strip()
        if answer != "ok":
            raise RuntimeError("gws-delayline: " + answer)

    def set_rate(self, side, kbit, path="A", burst="16kb",
                 latency="100ms"):
        """Caps what `side` sends on `path` to `kbit` kbit/s with a queue of
        `latency` (a home uplink); kbit 0 removes the cap."""
        ns, dev = self.ns(side), PATHS[path][0]
        if kbit <= 0:
            run("tc", "-n", ns, "qdisc", "del", "dev", dev, "root",
                check=False)
            return
        verb = "change" if self._has_tbf(ns, dev) else "add"
        run("tc", "-n", ns, "qdisc", verb, "dev", dev, "root", "tbf", "rate",
            "{}kbit".format(int(kbit)), "burst", burst, "latency", latency)

    @staticmethod
    def _has_tbf(ns, dev):
        out = run("tc", "-n", ns, "-j", "qdisc", "show", "dev", dev,
                  check=False).stdout
        try:
            return any(q.get("kind") == "tbf" for q in json.loads(out or "[]"))
        except ValueError:
            return False

    def counters(self, side="rcv"):
        """{path: (rx_bytes, tx_bytes)} of a side's veths."""
        out = run("ip", "-n", self.ns(side), "-s", "-j", "link",
                  "show").stdout
        by_dev = {}
        for info in json.loads(out):
            st = info.get("stats64") or info.get("stats") or {}
            by_dev[info["ifname"]] = (st.get("rx", {}).get("bytes", 0),
                                      st.get("tx", {}).get("bytes", 0))
        return {p: by_dev.get(dev, (0, 0)) for p, (dev, _s, _r) in
                PATHS.items()}

    def rates(self, seconds=1.0, side="rcv"):
        """Bytes received per path by `side` over `seconds`."""
        before = self.counters(side)
        time.sleep(seconds)  # the measurement window itself
        after = self.counters(side)
        return {p: after[p][0] - before[p][0] for p in PATHS}


def media_path(rates, at_least=3000):
    """The path that carried the media in a window of `rates` (bytes per
    path): the one of A and B with at least `at_least` bytes and more than
    five times the other's (STUN consent checks and RTCP are a few hundred
    bytes a second; 320x240 VP8 of a moving ball is ~10 KB/s), else None."""
    a, b = rates["A"], rates["B"]
    if a >= at_least and a > 5 * b:
        return "A"
    if b >= at_least and b > 5 * a:
        return "B"
    return None


def control(topo, lines=sys.stdin, out=sys.stdout):
    """The `control` command: see the module's docstring."""
    def reply(obj):
        out.write(json.dumps(obj) + "\n")
        out.flush()

    reply({"snd": topo.snd, "rcv": topo.rcv,
           "paths": {p: {"dev": d, "snd": s, "rcv": r}
                     for p, (d, s, r) in PATHS.items()}})
    for line in lines:
        words = line.split()
        try:
            if words[:1] == ["loss"] and len(words) >= 2:
                sides = words[2:3] or ["snd", "rcv"]
                paths = words[3:] or list(PATHS)
                for side in sides:
                    for path in paths:
                        topo.set_loss(side, float(words[1]), path)
                reply({"ok": True})
            elif words[:1] == ["rate"] and len(words) >= 2:
                side = words[2] if len(words) >= 3 else "snd"
                for path in words[3:] or list(PATHS):
                    topo.set_rate(side, float(words[1]), path)
                reply({"ok": True})
            elif words[:1] == ["delay"] and len(words) >= 2:
                jitter = float(words[2]) if len(words) >= 3 else 0.0
                for path in words[3:] or list(topo.delayed):
                    topo.set_delay(path, float(words[1]), jitter)
                reply({"ok": True})
            elif words[:1] == ["counters"] and len(words) == 2:
                reply({"ok": True, "counters": topo.counters(words[1])})
            elif words:
                reply({"ok": False, "error": "unknown command"})
        except (subprocess.CalledProcessError, ValueError, KeyError) as e:
            reply({"ok": False, "error": str(e)})
    topo.close()


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "control":
        delayed = ()
        if sys.argv[2:3] == ["--delayed"] and len(sys.argv) == 4:
            delayed = tuple(sys.argv[3].split(","))
        elif len(sys.argv) != 2:
            print(__doc__)
            return 2
        control(Topology(delayed=delayed))
        return 0
    if len(sys.argv) != 2 or sys.argv[1] != "up":
        print(__doc__)
        return 2
    topo = Topology()
    print("sender namespace:  ", topo.snd)
    print("receiver namespace:", topo.rcv)
    for p, (dev, s, r) in PATHS.items():
        print("path {}: {} {} <-> {}".format(p, dev, s, r))
    print("Ctrl-C to delete them")
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    topo.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
