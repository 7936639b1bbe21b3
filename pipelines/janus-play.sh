#!/bin/sh
# Shows: playing one publisher of a Janus VideoRoom, found by display name
# and followed when it leaves and publishes again (a new feed id); with
# &feed=ID instead, the stream ends (EOS) when that publisher leaves.
# docs/janus.md.
# Usage: janus-play.sh [JANUS_URI]
#   JANUS_URI defaults to janus+ws://127.0.0.1:8188/?room=1234&display=gst
# Headless (no display, no sound card): VIDEO_SINK=fakesink
# AUDIO_SINK=fakesink (see env.sh).
. "$(dirname "$0")/env.sh"
uri=${1:-"janus+ws://127.0.0.1:8188/?room=1234&display=gst"}
exec gst-launch-1.0 webrtcsrc name=src uri="$uri" $ice \
  src.video_0 ! queue ! videoconvert ! $video_sink \
  src.audio_0 ! queue ! audioconvert ! audioresample ! $audio_sink
