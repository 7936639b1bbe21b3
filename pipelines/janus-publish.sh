#!/bin/sh
# Shows: publishing a test pattern and a tone into a Janus VideoRoom (an SFU:
# Janus forwards to every viewer, the producer sends one stream). Viewers:
# Janus's VideoRoom demo page (janus-demos) or janus-play.sh. Reconnects and
# publishes again when Janus restarts. docs/janus.md.
# Usage: janus-publish.sh [JANUS_URI]
#   JANUS_URI defaults to janus+ws://127.0.0.1:8188/?room=1234&display=gst
#   (add &pin=..., &token=..., or &create=true&secret=... to make the room).
. "$(dirname "$0")/env.sh"
uri=${1:-"janus+ws://127.0.0.1:8188/?room=1234&display=gst"}
exec gst-launch-1.0 -e webrtcsink name=ws uri="$uri" $ice \
  videotestsrc is-live=true pattern=smpte ! \
    video/x-raw,width=1280,height=720,framerate=30/1 ! \
    $overlay ws.video_0 \
  audiotestsrc is-live=true wave=sine freq=440 ! ws.audio_0
