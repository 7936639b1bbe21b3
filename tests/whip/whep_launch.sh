#!/bin/sh
# WHEP end to end from gst-launch, as a user runs it: webrtcsink serves WHEP
# (whep-server://), webrtcsrc plays it (whep+http://, the consumer offers).
# Passes when the receiver decodes 30 video frames AND 30 audio buffers
# (each branch sends EOS after 30; the pipeline ends only when both did).
# Runs inside a private network namespace (run-netns.sh).
set -u
if [ -n "${GWS_SANITIZED:-}" ]; then
  echo "sanitizer build: gst-launch-1.0 cannot load the instrumented plugin: skipping"
  exit 77
fi
port=18090
log=${TMPDIR:-/tmp}/whep-launch-$$
gst-launch-1.0 -q videotestsrc is-live=true ! video/x-raw,width=320,height=240 ! sink.video_0 \
  audiotestsrc is-live=true ! sink.audio_0 \
  webrtcsink name=sink uri=whep-server://127.0.0.1:$port/whep ice-addresses=127.0.0.1 \
  > "$log.sink" 2>&1 &
sink=$!
trap 'kill $sink 2>/dev/null; wait $sink 2>/dev/null; rm -f "$log".*' EXIT
# The server is up once its port answers OPTIONS.
i=0
until curl -s -o /dev/null -X OPTIONS "http://127.0.0.1:$port/whep"; do
  i=$((i + 1)); [ $i -gt 100 ] && { echo "WHEP server never came up"; cat "$log.sink"; exit 1; }
  sleep 0.1
done
timeout 60 gst-launch-1.0 webrtcsrc name=src uri=whep+http://127.0.0.1:$port/whep ice-addresses=127.0.0.1 \
  src. ! queue ! videoconvert ! video/x-raw,width=320,height=240 ! identity eos-after=30 ! fakesink \
  src. ! queue ! audioconvert ! identity eos-after=30 ! fakesink > "$log.src" 2>&1
rc=$?
if [ $rc -ne 0 ] || ! grep -q "Got EOS" "$log.src"; then
  echo "receiver failed (exit $rc)"; cat "$log.src"; echo "--- sink"; cat "$log.sink"; exit 1
fi
echo "webrtcsrc played 30 video frames (320x240) and 30 audio buffers over WHEP"
