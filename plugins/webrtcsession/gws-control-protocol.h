/* gst-webrtc-session: the remote-control protocol of the `control` data
 * channel, compatible with GStreamer's Rust webrtcsink and the
 * gstwebrtc-api 3.0 JavaScript client (its RemoteController).
 *
 * A consumer sends JSON requests
 *   {"id": N, "mid": "0"?, "request": R}
 * where R is {"type": "navigationEvent", "event": {"event": "MouseMove",
 * "x": 10, "y": 20, "modifier_state": "shift-mask+button1-mask"}} (names as
 * the client sends them: MouseMove, MouseButtonPress, MouseButtonRelease,
 * MouseScroll, KeyPress, KeyRelease, TouchDown, TouchMotion, TouchUp,
 * TouchFrame, TouchCancel; GStreamer's own kebab-case names, mouse-move...,
 * are accepted too) or {"type": "customUpstreamEvent", "structureName":
 * "name", "structure": {...}}. The producer answers every request with
 * {"type": "ControlResponseMessage", "id": N, "error": "..."?}.
 *
 * Pure functions: JSON text in, GstEvents out and back; no channel, no
 * thread. Unit-tested in tests/unit/test_control_protocol.cpp. */
#pragma once

#include <gst/gst.h>

#include <memory>
#include <string>

namespace gws {

struct EventUnref {
  void operator()(GstEvent *e) const { gst_event_unref(e); }
};
using EventPtr = std::unique_ptr<GstEvent, EventUnref>;

enum class ControlRequestType {
  Navigation,     /* a GstNavigation event */
  CustomUpstream, /* a GST_EVENT_CUSTOM_UPSTREAM event */
};

struct ControlRequest {
  gint64 id = -1;  /* -1: the message had no usable id */
  std::string mid; /* "" when not given: every stream */
  ControlRequestType type = ControlRequestType::Navigation;
  EventPtr event; /* to send upstream from the producer's input(s) */
};

/* Parses one request. False with @error set (saying what is wrong) on bad
 * input; out->id is still set when the id could be read, so the answer can
 * name the request. */
bool control_parse_request(
    const std::string &text, ControlRequest *out, std::string *error);

/* {"type":"ControlResponseMessage","id":@id} with "error" when @error is not
 * empty. */
std::string control_response(gint64 id, const std::string &error);

/* The request a consumer sends for navigation event @event (what the
 * upstream client would send for the same input), with "mid" when @mid is
 * not empty; "" when @event is not a navigation event the protocol can
 * express (a navigation command, say). */
std::string control_navigation_request(
    gint64 id, GstEvent *event, const std::string &mid);

/* The upstream JSON type of a control message ("ControlResponseMessage",
 * "InfoMessage", ...), the id and the error of a response; false when the
 * text is no JSON object. */
bool control_parse_message(
    const std::string &text, std::string *type, gint64 *id, std::string *error);

} // namespace gws
