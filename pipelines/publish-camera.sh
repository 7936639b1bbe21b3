#!/bin/sh
# Shows: publishing a V4L2 camera (raw frames) as producer "cam1";
# webrtcsink picks the codec each viewer can decode and encodes it once.
# Usage: publish-camera.sh [RELAY_URI] [DEVICE]
#        (defaults ws://127.0.0.1:8443/?peer-id=cam1 and /dev/video0)
# Without a camera: SOURCE="videotestsrc is-live=true" (see env.sh).
. "$(dirname "$0")/env.sh"
uri=${1:-ws://127.0.0.1:8443/?peer-id=cam1}
device=${2:-/dev/video0}
source=${SOURCE:-v4l2src device=$device}
# shellcheck disable=SC2086
exec gst-launch-1.0 -e $source ! videoconvert ! \
  webrtcsink uri="$uri" $ice
