"""Resource figures of a process (RSS, open descriptors, threads) for the
soak tests, and the rule that judges them: after a warm-up, the figures
taken at the middle and at the end of the run must not have grown beyond a
small allowance (descriptors and threads are exact counts; RSS is allowed
allocator noise). Each figure is printed so a run shows its levelling off."""
import os


def figures(pid):
    with open(f"/proc/{pid}/status") as f:
        status = dict(line.split(":", 1) for line in f if ":" in line)
    return {
        "rss_kb": int(status["VmRSS"].split()[0]),
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
        "threads": int(status["Threads"]),
    }


def show(label, fig):
    print(f"# {label}: rss {fig['rss_kb'] // 1024} MiB, "
          f"{fig['fds']} fds, {fig['threads']} threads", flush=True)


def check(start, mid, end, fds=2, threads=2, rss_kb=16 * 1024,
          rss_share=0.15):
    """Raises AssertionError when the second half grew."""
    problems = []
    if end["fds"] > mid["fds"] + fds:
        problems.append(f"fds {start['fds']} -> {mid['fds']} -> {end['fds']}")
    if end["threads"] > mid["threads"] + threads:
        problems.append(f"threads {start['threads']} -> {mid['threads']} -> "
                        f"{end['threads']}")
    allowance = max(rss_kb, int(mid["rss_kb"] * rss_share))
    if end["rss_kb"] > mid["rss_kb"] + allowance:
        problems.append(f"RSS {start['rss_kb']} -> {mid['rss_kb']} -> "
                        f"{end['rss_kb']} kB")
    assert not problems, "steady growth: " + "; ".join(problems)
