#!/bin/sh
# Shows: a WHIP server (ingest endpoint) that OBS, a browser WHIP client or
# whip-publish.sh can publish to; the stream is decoded and played here.
# One publisher at a time (a second gets 503); DELETE ends the session.
# The endpoint stays up between publishers: the next one appears on the
# same video_0/audio_0 (the window shows nothing new in between), and a
# publisher the pipeline cannot take gets 422 with the reason.
# Usage: whip-receive.sh [SERVER_URI] [TOKEN]
#   SERVER_URI defaults to whip-server://0.0.0.0:8080/whip: publishers POST
#   to http://<this host>:8080/whip. With TOKEN, requests need
#   "Authorization: Bearer TOKEN" (OBS: the "Bearer Token" field).
# Headless (no display, no sound card): VIDEO_SINK=fakesink
# AUDIO_SINK=fakesink (see env.sh).
. "$(dirname "$0")/env.sh"
uri=${1:-whip-server://0.0.0.0:8080/whip}
token=${2:+signaller::token=$2}
exec gst-launch-1.0 webrtcsrc name=src uri="$uri" $token $ice \
  src.video_0 ! queue ! videoconvert ! $video_sink \
  src.audio_0 ! queue ! audioconvert ! audioresample ! $audio_sink
