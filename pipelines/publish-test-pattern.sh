#!/bin/sh
# Shows: publishing a test pattern and a 440 Hz tone as producer "cam1";
# webrtcsink encodes each once (VP8/H264/VP9, Opus) for every viewer.
# Usage: publish-test-pattern.sh [RELAY_URI]   (default ws://127.0.0.1:8443/?peer-id=cam1)
. "$(dirname "$0")/env.sh"
uri=${1:-ws://127.0.0.1:8443/?peer-id=cam1}
exec gst-launch-1.0 -e webrtcsink name=ws uri="$uri" $ice \
  videotestsrc is-live=true pattern=smpte ! \
    video/x-raw,width=1280,height=720,framerate=30/1 ! \
    $overlay ws.video_0 \
  audiotestsrc is-live=true wave=sine freq=440 ! ws.audio_0
