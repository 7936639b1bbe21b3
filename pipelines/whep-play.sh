#!/bin/sh
# Shows: playing a WHEP endpoint (a WHEP server such as whep-serve.sh,
# MediaMTX or a CDN), decoded and played locally. The client POSTs a
# recvonly offer; stopping (Ctrl-C) DELETEs the session.
# Usage: whep-play.sh [WHEP_URI] [TOKEN]
#   WHEP_URI defaults to whep+http://127.0.0.1:8081/whep (whep+https://
#   for TLS).
# Headless (no display, no sound card): VIDEO_SINK=fakesink
# AUDIO_SINK=fakesink (see env.sh).
. "$(dirname "$0")/env.sh"
uri=${1:-whep+http://127.0.0.1:8081/whep}
token=${2:+signaller::token=$2}
exec gst-launch-1.0 webrtcsrc name=src uri="$uri" $token $ice \
  src.video_0 ! queue ! videoconvert ! $video_sink \
  src.audio_0 ! queue ! audioconvert ! audioresample ! $audio_sink
