#!/bin/sh
# Shows: receiving with no server at all (offline://), from
# offline-publish.sh on this or another machine: the offer is read from
# the shared or carried folder and the answer written next to it; with "-"
# the offer is pasted here and the answer printed to carry back.
# Usage: offline-receive.sh [FOLDER|-] [producer|consumer]
#   (the same arguments as the publishing side)
. "$(dirname "$0")/env.sh"
where=${1:-/tmp/gws-offline}
offerer=${2:-producer}
if [ "$where" = "-" ]; then
  uri="offline:?terminal=true&offerer=$offerer"
else
  uri="offline://$where?offerer=$offerer"
fi
exec gst-launch-1.0 webrtcsrc uri="$uri" $ice ! videoconvert ! $video_sink
