/* gst-webrtc-session: webrtcsink's input pacing.
 *
 * WebRTC is a live protocol: a receiver plays what arrives at the rate it
 * arrives. A source that is not live (videotestsrc without is-live=true, a
 * file) pushes as fast as it can, and the viewer gets nothing it can play.
 * Each webrtcsink input therefore starts with a clocksync that passes
 * buffers through (sync=false) while the input is live; on the first
 * buffer the input is asked (LATENCY query) whether it is live, and if not,
 * the clocksync paces it to the pipeline clock and the element posts a
 * warning saying so. */
#pragma once

#include <gst/gst.h>

#include <string>

namespace gws {

/* Makes the pacer of input @name ("video_0") for @element, floating, to be
 * added to the element's bin and linked before the input's tee. */
GstElement *make_input_pacer(GstElement *element, const std::string &name);

} // namespace gws
