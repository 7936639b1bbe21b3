#!/bin/sh
# A WHIP ingest endpoint from gst-launch, as pipelines/whip-receive.sh runs
# it (issue 13 bugs 1 and 2, issue 14): webrtcsrc whip-server:// with only
# video_0 linked. A publisher the pipeline cannot take (no common codec)
# gets 422 with the reason and the endpoint stays up; then two webrtcsink
# publishers one after the other (each 150 frames, then EOS and DELETE) both
# play on video_0. The receiver ends by itself after 160 frames on video_0
# (identity eos-after=160), which only the second publisher can bring: with
# an EOS between publishers, or the second on video_1, it never gets there.
# Runs inside a private network namespace (run-netns.sh).
set -u
port=18091
url=http://127.0.0.1:$port/whip
log=${TMPDIR:-/tmp}/whip-launch-$$
timeout 60 gst-launch-1.0 -q webrtcsrc name=src uri=whip-server://127.0.0.1:$port/whip \
    ice-addresses=127.0.0.1 \
  src.video_0 ! queue ! videoconvert ! identity eos-after=160 ! fakesink \
  > "$log.src" 2>&1 &
rx=$!
trap 'kill $rx 2>/dev/null; wait $rx 2>/dev/null; rm -f "$log".*' EXIT
fail() {
  echo "$1"; echo "--- receiver"; cat "$log.src"
  for f in "$log".pub*; do [ -e "$f" ] && { echo "--- $f"; cat "$f"; }; done
  exit 1
}
i=0
until curl -s -o /dev/null -X OPTIONS "$url"; do
  i=$((i + 1)); [ $i -gt 100 ] && fail "WHIP server never came up"
  sleep 0.1 # polling the port: nothing else announces it
done

# A publisher offering a codec nobody has.
cat > "$log.bad" <<SDP
v=0
o=- 1 1 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0
m=video 9 UDP/TLS/RTP/SAVPF 96
c=IN IP4 0.0.0.0
a=mid:0
a=ice-ufrag:badp
a=ice-pwd:0123456789abcdefghijklmn
a=fingerprint:sha-256 11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00
a=setup:actpass
a=sendonly
a=rtcp-mux
a=rtpmap:96 XYZ/90000
SDP
status=$(curl -s -o "$log.bad-answer" -w '%{http_code}' -X POST \
  -H 'Content-Type: application/sdp' --data-binary @"$log.bad" "$url")
[ "$status" = 422 ] || fail "bad publisher: expected 422, got $status: $(cat "$log.bad-answer")"
grep -q "no common video codec" "$log.bad-answer" \
  || fail "422 without the reason: $(cat "$log.bad-answer")"
kill -0 $rx 2>/dev/null || fail "the endpoint stopped after a bad publisher"

for n in 1 2; do
  timeout 30 gst-launch-1.0 -q videotestsrc is-live=true num-buffers=150 ! \
      video/x-raw,width=320,height=240,framerate=30/1 ! sink.video_0 \
    webrtcsink name=sink uri=whip+$url ice-addresses=127.0.0.1 \
    > "$log.pub$n" 2>&1 || fail "publisher $n failed (exit $?)"
  if [ $n = 1 ]; then
    kill -0 $rx 2>/dev/null || fail "the endpoint stopped when publisher 1 left"
  fi
done
wait $rx
rc=$?
[ $rc -eq 0 ] || fail "receiver exit $rc (160 frames on video_0 never came)"
grep -q "ERROR" "$log.src" && fail "receiver posted an error"
echo "one endpoint: bad publisher refused with 422, then two publishers played on video_0"
