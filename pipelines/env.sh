# Sourced by the scripts in this directory: finds the built plugin and the
# relay when run from a source tree (any build directory under the project
# root that contains them), and reads the common settings.
#   ICE_ADDRESSES  comma-separated local addresses for ICE (e.g. 127.0.0.1
#                  when everything runs on one machine without a network)
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
ice=""
if [ -n "$ICE_ADDRESSES" ]; then
  ice="ice-addresses=$ICE_ADDRESSES"
fi
