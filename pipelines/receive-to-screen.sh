#!/bin/sh
# Shows: watching and hearing a producer ("cam1" by default; any producer
# when the URI has no ?peer-id=), decoded and played locally.
# Usage: receive-to-screen.sh [RELAY_URI]   (default ws://127.0.0.1:8443/?peer-id=cam1)
# Headless (no display, no sound card): VIDEO_SINK=fakesink
# AUDIO_SINK=fakesink (see env.sh).
. "$(dirname "$0")/env.sh"
uri=${1:-ws://127.0.0.1:8443/?peer-id=cam1}
exec gst-launch-1.0 webrtcsrc name=src uri="$uri" $ice \
  src.video_0 ! queue ! videoconvert ! $video_sink \
  src.audio_0 ! queue ! audioconvert ! audioresample ! $audio_sink
