#!/bin/sh
# Shows: recording a producer's H264 video to a Matroska file without
# decoding it (webrtcsrc sees that downstream takes only video/x-h264 and
# hands over the depayloaded stream). Stop with Ctrl-C; the file is closed
# properly (-e).
# Usage: receive-to-file.sh [RELAY_URI] [FILE]
#        (defaults ws://127.0.0.1:8443/?peer-id=cam1 and recording.mkv)
. "$(dirname "$0")/env.sh"
uri=${1:-ws://127.0.0.1:8443/?peer-id=cam1}
file=${2:-recording.mkv}
exec gst-launch-1.0 -e webrtcsrc uri="$uri" video-codecs="<H264>" $ice ! \
  video/x-h264 ! h264parse ! matroskamux ! filesink location="$file"
