#!/bin/sh
# Shows: publishing a test pattern and a tone to a WHIP endpoint (RFC 9725:
# OBS-style ingest into MediaMTX, a cloud service, or whip-receive.sh).
# Candidates are trickled by PATCH; stopping (Ctrl-C) DELETEs the session.
# Usage: whip-publish.sh [WHIP_URI] [TOKEN]
#   WHIP_URI defaults to whip+http://127.0.0.1:8080/whip (whip+https:// for
#   TLS); TOKEN, when given, is sent as "Authorization: Bearer TOKEN".
. "$(dirname "$0")/env.sh"
uri=${1:-whip+http://127.0.0.1:8080/whip}
token=${2:+signaller::token=$2}
exec gst-launch-1.0 -e webrtcsink name=ws uri="$uri" $token $ice \
  videotestsrc is-live=true pattern=smpte ! \
    video/x-raw,width=1280,height=720,framerate=30/1 ! \
    $overlay ws.video_0 \
  audiotestsrc is-live=true wave=sine freq=440 ! ws.audio_0
