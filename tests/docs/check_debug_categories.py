#!/usr/bin/python3
"""GST_DEBUG categories against the code and docs/elements.md "Debugging":

- every source file under plugins/ and signaling/ that logs with the GST_*
  macros defines GST_CAT_DEFAULT (nothing logs to the "default" category);
- every category the code registers (GWS_DEBUG_CATEGORY or
  GST_DEBUG_CATEGORY_INIT) is in the Debugging table and is matched by the
  wildcard the page gives for everything of ours (webrtc*, gws-*);
- every category the table names is registered by the code.

Usage: check_debug_categories.py SOURCE_ROOT. Prints TAP."""
import os
import re
import sys

ROOT = sys.argv[1]
LOG = re.compile(r"\bGST_(?:ERROR|WARNING|INFO|DEBUG|LOG|TRACE|FIXME|MEMDUMP)"
                 r"(?:_OBJECT|_ID)?\s*\(")
CATEGORY = re.compile(r"(?:GWS_DEBUG_CATEGORY|GST_DEBUG_CATEGORY_INIT)"
                      r"\s*\(\s*\w+\s*,\s*\"([^\"]+)\"", re.S)
DEFAULT = re.compile(r"^#define\s+GST_CAT_DEFAULT\s", re.M)
# The example in gws-debug.h's comment is not a category.
SKIP = {os.path.join("plugins", "webrtcsession", "gws-debug.h")}


def sources():
    for top in ["plugins", "signaling"]:
        for dirpath, _, files in os.walk(os.path.join(ROOT, top)):
            for f in sorted(files):
                if f.endswith((".c", ".cpp", ".h")):
                    path = os.path.join(dirpath, f)
                    rel = os.path.relpath(path, ROOT)
                    if rel not in SKIP:
                        yield rel, open(path, encoding="utf-8").read()


def documented():
    """The category names in the first column of the Debugging table."""
    text = open(os.path.join(ROOT, "docs", "elements.md"),
                encoding="utf-8").read()
    section = text.split("\n## Debugging\n", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            names.update(re.findall(r"`([^`]+)`", line.split("|")[1]))
    return names


def main():
    registered, undefaulted = {}, []
    for rel, text in sources():
        for name in CATEGORY.findall(text):
            registered.setdefault(name, []).append(rel)
        if LOG.search(text) and not DEFAULT.search(text):
            undefaulted.append(rel)
    docs = documented()
    checks = [
        ("every file that logs has GST_CAT_DEFAULT", undefaulted),
        ("every category is in docs/elements.md Debugging",
         sorted(set(registered) - docs)),
        ("every category matches webrtc* or gws-*",
         sorted(n for n in registered
                if not n.startswith(("webrtc", "gws-")))),
        ("every category in the Debugging table exists",
         sorted(docs - set(registered))),
        ("no category is registered twice",
         sorted(n for n, files in registered.items() if len(files) > 1)),
    ]
    print(f"1..{len(checks)}")
    failed = 0
    for i, (what, bad) in enumerate(checks, 1):
        if bad:
            failed += 1
            print(f"not ok {i} - {what}")
            for b in bad:
                print(f"# {b}")
        else:
            print(f"ok {i} - {what}")
    if not registered:
        print("# no category found: wrong SOURCE_ROOT?")
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
