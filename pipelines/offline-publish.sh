#!/bin/sh
# Shows: publishing with no server at all (offline://). The offer is
# written to a folder both machines see (shared, or carried on a USB
# stick) and the answer is read back from it; with "-" instead of a folder
# the offer is printed here (as a QR code too, when qrencode is installed)
# and the answer is pasted back. Pair it with offline-receive.sh.
# Usage: offline-publish.sh [FOLDER|-] [producer|consumer]
#   FOLDER defaults to /tmp/gws-offline; the second argument says which
#   side offers (give both sides the same; default producer).
. "$(dirname "$0")/env.sh"
where=${1:-/tmp/gws-offline}
offerer=${2:-producer}
if [ "$where" = "-" ]; then
  uri="offline:?terminal=true&offerer=$offerer"
else
  uri="offline://$where?offerer=$offerer"
fi
exec gst-launch-1.0 -e videotestsrc is-live=true ! \
  video/x-raw,width=640,height=360,framerate=30/1 ! $overlay \
  webrtcsink uri="$uri" $ice
