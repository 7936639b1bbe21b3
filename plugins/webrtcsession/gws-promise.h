/* gst-webrtc-session: webrtcbin promises and session descriptions, the
 * C++ way. */
#pragma once

#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

#include <functional>
#include <memory>
#include <string>

namespace gws {

using DescPtr = std::shared_ptr<GstWebRTCSessionDescription>;

/* Copies @desc (nullable) into a shared pointer. */
DescPtr copy_desc(const GstWebRTCSessionDescription *desc);

/* A promise for a webrtcbin action. When it settles, @done runs on the
 * thread that settled it (webrtcbin's) with the reply's @field (an "offer"
 * or "answer"; nullptr for actions without one) and an error text, empty
 * on success. @done should only post work to the caller's own thread.
 * Returns a reference the caller owns: unref it once it is handed to
 * webrtcbin (the action signal takes its own). */
GstPromise *make_promise(const char *field,
    std::function<void(DescPtr desc, std::string error)> done);

} // namespace gws
