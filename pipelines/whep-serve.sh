#!/bin/sh
# Shows: a WHEP server (egress endpoint) serving a test pattern and a tone
# to any number of WHEP viewers (browsers, whep-play.sh); webrtcsink encodes
# once per codec and shares the encoder among all viewers.
# Usage: whep-serve.sh [SERVER_URI] [TOKEN]
#   SERVER_URI defaults to whep-server://0.0.0.0:8081/whep: viewers POST
#   their offer to http://<this host>:8081/whep.
. "$(dirname "$0")/env.sh"
uri=${1:-whep-server://0.0.0.0:8081/whep}
token=${2:+signaller::token=$2}
exec gst-launch-1.0 -e webrtcsink name=ws uri="$uri" $token $ice \
  videotestsrc is-live=true pattern=ball ! \
    video/x-raw,width=1280,height=720,framerate=30/1 ! \
    $overlay ws.video_0 \
  audiotestsrc is-live=true wave=sine freq=440 ! ws.audio_0
