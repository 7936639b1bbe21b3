#!/bin/sh
# Shows: a viewer on a network that changes under it (Wi-Fi to cellular, a
# cable pulled). webrtcsrc notices when nothing has arrived for
# path-timeout ms and restarts the session on a new connection, switching
# the picture over without a pipeline restart; -m prints the gws-path-lost,
# gws-restart-started and gws-session-restarted messages as they happen.
# Try it: run publish-test-pattern.sh on one machine, this on another, and
# move this one to another network (or `ip link set <iface> down` while a
# second interface is up). docs/elements.md "Session restart".
# Usage: receive-on-a-flaky-network.sh [RELAY_URI] [PATH_TIMEOUT_MS]
# Headless (no display, no sound card): VIDEO_SINK=fakesink
# AUDIO_SINK=fakesink (see env.sh).
. "$(dirname "$0")/env.sh"
uri=${1:-ws://127.0.0.1:8443/?peer-id=cam1}
timeout=${2:-1000}
exec gst-launch-1.0 -m webrtcsrc name=src uri="$uri" $ice \
  path-timeout="$timeout" max-restart-failures=10 \
  src.video_0 ! queue ! videoconvert ! $video_sink
