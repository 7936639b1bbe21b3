#!/bin/sh
# Shows: publishing a camera's pre-encoded H264 without re-encoding it
# (cameras with an H264 output, or a hardware encoder); viewers' key frame
# requests reach the camera, at most one per 500 ms.
# Usage: publish-camera-h264.sh [RELAY_URI] [DEVICE]
#        (defaults ws://127.0.0.1:8443/?peer-id=cam1 and /dev/video0)
# A camera without H264 output: replace the v4l2src caps with
#   v4l2src ! videoconvert ! x264enc tune=zerolatency speed-preset=ultrafast \
#     key-int-max=60 ! video/x-h264,profile=constrained-baseline
# or, without a camera, set SOURCE to such a chain (see env.sh), e.g.
#   SOURCE="videotestsrc is-live=true ! x264enc tune=zerolatency key-int-max=30"
. "$(dirname "$0")/env.sh"
uri=${1:-ws://127.0.0.1:8443/?peer-id=cam1}
device=${2:-/dev/video0}
source=${SOURCE:-v4l2src device=$device}
# shellcheck disable=SC2086
exec gst-launch-1.0 -e $source ! \
  video/x-h264,framerate=30/1 ! h264parse config-interval=-1 ! \
  webrtcsink uri="$uri" video-codecs="<H264>" $ice
