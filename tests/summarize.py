#!/usr/bin/python3
"""Counts test cases in meson's JUnit log (gtest cases and TAP lines count
one each), adds the formatting check, prints "N passed, N failed, N skipped"
and exits non-zero when anything failed."""
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET


def format_check(report_path):
    """clang-format --dry-run over the tracked C/C++ sources."""
    files = subprocess.run(
        ["git", "ls-files", "*.c", "*.cpp", "*.h"],
        capture_output=True, text=True).stdout.split()
    bad = []
    for f in files:
        if not os.path.exists(f):
            continue
        r = subprocess.run(["clang-format", "--dry-run", "--Werror", f],
                           capture_output=True, text=True)
        if r.returncode != 0:
            bad.append(f)
    os.makedirs(os.path.dirname(report_path), exist_ok=True)
    with open(report_path, "w") as out:
        out.write("\n".join(bad))
    if bad:
        print("format: clang-format would change: " + " ".join(bad))
    else:
        print(f"format: {len(files)} files clean")
    return not bad


# Lines of a failed test's output that say why, for the digest printed
# right above the summary line (CI shows only the end of its output).
WHY = re.compile(r"ERROR|FAIL|Failure|SUMMARY|Sanitizer|assert|Timeout|"
                 r"timed out|Traceback|Error:|error:|deadly signal|"
                 r"Expected|Which is|Value of|invariant broken|out-of-memory|"
                 r"leak|reproducer", re.I)


def why_failed(json_log, per_test=4, width=220):
    """(test name, [reason lines]) for each failed test in meson's log."""
    if not os.path.exists(json_log):
        return []
    import json
    out = []
    with open(json_log) as f:
        for line in f:
            t = json.loads(line)
            if t.get("result") in ("OK", "SKIP", "EXPECTEDFAIL"):
                continue
            text = (t.get("stdout") or "") + "\n" + (t.get("stderr") or "")
            hits = [l.strip() for l in text.splitlines()
                    if WHY.search(l) and l.strip()]
            if not hits:
                hits = [l.strip() for l in text.splitlines() if l.strip()]
            out.append((t.get("name"),
                        [h[:width] for h in hits[-per_test:]]
                        or [str(t.get("result"))]))
    return out[:6]


def main():
    log, report = sys.argv[1], sys.argv[2]
    passed = failed = skipped = 0
    if os.path.exists(log):
        # Test output lands in the log verbatim; control characters (a
        # coloured GST_DEBUG line) are not XML and would hide every result.
        with open(log, "rb") as f:
            raw = f.read().decode("utf-8", "replace")
        raw = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", raw)
        root = ET.fromstring(raw)
        for case in root.iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
                print("FAILED:", case.get("classname"), case.get("name"))
            elif case.find("skipped") is not None:
                skipped += 1
            else:
                passed += 1
    else:
        print("no test log at", log)
        failed += 1
    # A test program that crashed or timed out may have left no failing
    # JUnit case behind: meson's own log still knows it failed.
    json_log = os.path.join(os.path.dirname(log), "testlog.json")
    crashed = []
    if os.path.exists(json_log):
        import json
        with open(json_log) as f:
            for line in f:
                t = json.loads(line)
                if t.get("result") not in ("OK", "SKIP", "EXPECTEDFAIL"):
                    crashed.append(t.get("name"))
    if crashed and not failed:
        print("FAILED (whole program):", " ".join(crashed))
        failed += len(crashed)
    for name, lines in why_failed(json_log):
        for line in lines:
            print(f"  why {name}: {line}")
    if format_check(report):
        passed += 1
    else:
        failed += 1
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    sys.exit(1 if failed else 0)


main()
