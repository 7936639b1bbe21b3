#!/bin/sh
# Runs a janus test program in a private network namespace (the test side,
# veth gwsjv1 = 10.77.0.2) next to a second namespace for Janus (veth
# gwsjv0 = 10.77.0.1; `ip netns add gwsjanus-<pid>`, deleted on exit). The
# program starts Janus there itself (GWS_JANUS_NS names the namespace).
# Skipped (exit 77) when not root or Janus is not installed.
[ "$(id -u)" = 0 ] || { echo "not root: skipped (needs network namespaces)"; exit 77; }
command -v janus >/dev/null 2>&1 || { echo "janus not installed: skipped (apt-get install janus)"; exit 77; }
[ -f /usr/lib/x86_64-linux-gnu/janus/plugins/libjanus_videoroom.so ] || [ -n "$(find /usr/lib -name libjanus_videoroom.so 2>/dev/null | head -1)" ] \
  || { echo "the Janus VideoRoom plugin is missing: skipped"; exit 77; }
exec unshare -n sh -c '
  set -e
  ns=gwsjanus-$$
  export GWS_JANUS_NS=$ns
  ip link set lo up
  ip netns add $ns
  trap "ip netns del $ns 2>/dev/null" EXIT
  ip link add gwsjv0 type veth peer name gwsjv1
  ip link set gwsjv0 netns $ns
  ip netns exec $ns ip link set lo up
  ip netns exec $ns ip addr add 10.77.0.1/24 dev gwsjv0
  ip netns exec $ns ip link set gwsjv0 up
  ip addr add 10.77.0.2/24 dev gwsjv1
  ip link set gwsjv1 up
  set +e
  "$@"
  rc=$?
  exit $rc
' sh "$@"
