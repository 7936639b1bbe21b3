# Sourced by the scripts in this directory: finds the built plugin and the
# relay when run from a source tree (any build directory under the project
# root that contains them), and reads the common settings.
#   ICE_ADDRESSES  comma-separated local addresses for ICE (e.g. 127.0.0.1
#                  when everything runs on one machine without a network;
#                  set to 127.0.0.1 by itself when loopback is the only
#                  interface)
#   VIDEO_SINK, AUDIO_SINK  where the receive scripts play (autovideosink,
#                  autoaudiosink). Headless (no display, no sound card):
#                  VIDEO_SINK=fakesink AUDIO_SINK=fakesink, or e.g.
#                  VIDEO_SINK="fakesink num-buffers=300" to stop after 10 s.
#   SOURCE         the publish-camera scripts' source instead of v4l2src
#                  (e.g. SOURCE="videotestsrc is-live=true" without a camera)
root=$(cd "$(dirname "$0")/.." && pwd)
for dir in "$root"/build*/plugins; do
  if [ -e "$dir/libgstwebrtcsession.so" ]; then
    export GST_PLUGIN_PATH="$dir${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
    break
  fi
done
if ! gst-inspect-1.0 webrtcsink >/dev/null 2>&1; then
  echo "webrtcsink not found: build the project (meson setup build &&" \
       "ninja -C build) or install it" >&2
  exit 1
fi
# ICE skips loopback: with no other interface nothing would connect.
if [ -z "${ICE_ADDRESSES:-}" ] && command -v ip >/dev/null \
    && [ -z "$(ip -o addr show scope global 2>/dev/null)" ]; then
  ICE_ADDRESSES=127.0.0.1
  echo "No network interface but loopback: using ice-addresses=127.0.0.1" \
       "(set ICE_ADDRESSES to change)" >&2
fi
ice=""
if [ -n "${ICE_ADDRESSES:-}" ]; then
  ice="ice-addresses=$ICE_ADDRESSES"
fi
video_sink=${VIDEO_SINK:-autovideosink}
audio_sink=${AUDIO_SINK:-autoaudiosink}
# timeoverlay is in gstreamer1.0-x, which .ci/setup does not install: the
# clock on the test pattern is shown only when it is there.
overlay=""
if gst-inspect-1.0 timeoverlay >/dev/null 2>&1; then
  overlay="timeoverlay !"
fi
