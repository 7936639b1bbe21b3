#!/usr/bin/env python3
"""When a receiver asked webrtcsink for each lost packet, from the sender's
GST_DEBUG log (issue 11, the 5 % freeze gap; docs/benchmarks.md "network").

Run the sender with GST_DEBUG=rtprtxsend:7 (rtprtxsend logs every packet it
stores at TRACE, every retransmission request at DEBUG and every RTX packet
it pushes at LOG), e.g.

    GST_DEBUG=rtprtxsend:7 node bench/network/network.mjs \\
        --only sink-chromium --losses 5,5,5 --trace

then

    bench/network/nack_timeline.py tests/output/browser/net-sink-chromium-snd.log \\
        [T_LOSS FREEZE_T...]

Prints, for the first request of each packet, its age (request time minus
the time the packet went through rtprtxsend: what the receiver's loss
detection, its NACK timing and the NACK's trip cost), how many times each
packet was asked for, the gaps between repeated requests, and how fast
rtprtxsend answered. With T_LOSS (the `loss 5% set at t=` of --trace, for
the first loss window) and the `freeze at t=` times, it also lists the
requests of the 900 ms before each freeze (the clocks are matched on the
first request after the loss is set: +-50 ms).
"""
import bisect
import collections
import re
import sys

TIME = r"(\d+):(\d+):(\d+\.\d+)"


def seconds(m):
    return int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3])


def parse(path):
    stored, requests, pushes = {}, [], []
    for line in open(path, errors="replace"):
        m = re.match(TIME + r".*Processing buffer seqnum: (\d+)", line)
        if m:
            stored.setdefault(int(m[4]), []).append(seconds(m))
            continue
        m = re.match(TIME + r".*got rtx request for seqnum: (\d+)", line)
        if m:
            requests.append((seconds(m), int(m[4])))
            continue
        m = re.match(TIME + r".*pushing rtx buffer", line)
        if m:
            pushes.append(seconds(m))
    return stored, requests, pushes


def pct(values, p):
    values = sorted(values)
    return values[int(p * (len(values) - 1))] if values else float("nan")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    stored, requests, pushes = parse(sys.argv[1])
    if not requests:
        sys.exit("no retransmission request in the log (GST_DEBUG=rtprtxsend:7?)")

    def age(t, seq):
        before = [x for x in stored.get(seq, []) if x <= t]
        return (t - max(before)) * 1000 if before else None

    answer = [(p - r) * 1000 for (r, _), p in zip(requests, pushes)]
    print("requests {}, answered in ms: median {:.2f}, p99 {:.1f}, max {:.1f}"
          .format(len(requests), pct(answer, .5), pct(answer, .99),
                  pct(answer, 1)))
    times = collections.defaultdict(list)
    for t, seq in requests:
        times[seq].append(t)
    ages = [a for a in (age(v[0], s) for s, v in times.items()) if a is not None]
    bins = collections.Counter(min(int(a // 25) * 25, 400) for a in ages)
    print("packets asked for {}; age of the first request (ms): median {:.1f},"
          " p90 {:.1f}, p99 {:.1f}, max {:.1f}".format(
              len(times), pct(ages, .5), pct(ages, .9), pct(ages, .99),
              pct(ages, 1)))
    print("  25 ms bins: " + ", ".join(
        "{}-{}: {}".format(b, b + 25, n) for b, n in sorted(bins.items())))
    gaps = [round((b - a) * 1000) for v in times.values()
            for a, b in zip(v, v[1:]) if b - a > 0.005]
    print("asked for again after an answer: {} (gaps ms: {})".format(
        len(gaps), sorted(gaps)))

    if len(sys.argv) > 3:
        t_loss = float(sys.argv[2])
        offset = t_loss - requests[0][0]
        for freeze in map(float, sys.argv[3:]):
            print("freeze seen at t={:.3f}:".format(freeze))
            for t, seq in requests:
                rel = (t + offset - freeze) * 1000
                if -900 < rel < 50:
                    a = age(t, seq)
                    print("  request {:+5.0f} ms  seq {:5d}  age {:6.1f} ms  "
                          "asked {}x".format(rel, seq, a if a is not None
                                              else float("nan"),
                                              len(times[seq])))


if __name__ == "__main__":
    main()
