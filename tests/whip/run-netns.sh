#!/bin/sh
# Runs a test program inside a private network namespace that has only the
# loopback interface (up), so no traffic can leave the machine. Needs root;
# without it the test is skipped (exit 77).
[ "$(id -u)" = 0 ] || { echo "not root: skipped (needs unshare -n)"; exit 77; }
exec unshare -n sh -c 'ip link set lo up && exec "$@"' sh "$@"
