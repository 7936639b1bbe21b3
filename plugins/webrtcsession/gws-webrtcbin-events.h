/* gst-webrtc-session: a webrtcbin's events as C++ callbacks.
 *
 * Both elements listen to the same webrtcbin signals for every connection:
 * local ICE candidates (and the end of gathering, which webrtcbin 1.22
 * never signals as an empty candidate), the peer connection state, and new
 * source pads. The callbacks run on webrtcbin's threads (streaming threads
 * for pads); they usually post to the element's session thread. */
#pragma once

#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

#include <functional>
#include <string>

namespace gws {

struct WebrtcbinEvents {
  /* A local candidate for @mline; "" once gathering is complete. */
  std::function<void(guint mline, const std::string &candidate)> candidate;
  std::function<void(GstWebRTCPeerConnectionState state)> state;
  /* A source pad appeared (receiving side); may be empty. */
  std::function<void(GstPad *pad)> src_pad;
};

/* Connects @events to @webrtc for the webrtcbin's lifetime. */
void watch_webrtcbin(GstElement *webrtc, WebrtcbinEvents events);

/* The webrtcbin inside @bin that @src is (or is a child of), or nullptr:
 * to route a child's message to its connection. No reference taken. */
GstElement *webrtcbin_of(GstObject *src, GstObject *bin);

/* Names connection @gen of a session: the session id for the first, with
 * "-<gen>" appended for the ones a restart makes. */
std::string connection_name(const std::string &session_id, guint gen);
/* "webrtcbin-" + connection_name(). */
std::string webrtcbin_name(const std::string &session_id, guint gen);

} // namespace gws
