/* gst-webrtc-session: webrtcbin events (see gws-webrtcbin-events.h). */
#include "gws-webrtcbin-events.h"

#include "gws-debug.h"

#include <memory>

GWS_DEBUG_CATEGORY(gws_webrtcbin_events_debug, "gws-webrtcbin-events",
    "webrtcbin signals handed to the session thread")
#define GST_CAT_DEFAULT gws_webrtcbin_events_debug()

namespace gws {

namespace {

using Shared = std::shared_ptr<const WebrtcbinEvents>;

gpointer
hold(const Shared &events) {
  return new Shared(events);
}

void
release(gpointer data, GClosure *) {
  delete static_cast<Shared *>(data);
}

const WebrtcbinEvents &
events_of(gpointer data) {
  return **static_cast<Shared *>(data);
}

} // namespace

void
watch_webrtcbin(GstElement *webrtc, WebrtcbinEvents events) {
  auto shared = std::make_shared<const WebrtcbinEvents>(std::move(events));
  g_signal_connect_data(webrtc, "on-ice-candidate",
      G_CALLBACK(+[](GstElement *, guint mline, gchar *cand, gpointer data) {
        const auto &ev = events_of(data);
        if (ev.candidate)
          ev.candidate(mline, cand ? cand : "");
      }),
      hold(shared), release, GConnectFlags(0));
  /* webrtcbin 1.22 never emits an empty candidate: report gathering
   * complete ourselves, so protocols that need every candidate at once
   * (WHIP/WHEP servers, a non-trickle client) need not wait for a timeout.
   * webrtcbin updates this state on the same thread, after it emitted the
   * last candidate. */
  g_signal_connect_data(webrtc, "notify::ice-gathering-state",
      G_CALLBACK(+[](GstElement *w, GParamSpec *, gpointer data) {
        GstWebRTCICEGatheringState state;
        g_object_get(w, "ice-gathering-state", &state, nullptr);
        const auto &ev = events_of(data);
        if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE && ev.candidate)
          ev.candidate(0, std::string());
      }),
      hold(shared), release, GConnectFlags(0));
  g_signal_connect_data(webrtc, "notify::connection-state",
      G_CALLBACK(+[](GstElement *w, GParamSpec *, gpointer data) {
        GstWebRTCPeerConnectionState state;
        g_object_get(w, "connection-state", &state, nullptr);
        GST_DEBUG_OBJECT(w, "connection state %d", state);
        const auto &ev = events_of(data);
        if (ev.state)
          ev.state(state);
      }),
      hold(shared), release, GConnectFlags(0));
  if (shared->src_pad) {
    g_signal_connect_data(webrtc, "pad-added",
        G_CALLBACK(+[](GstElement *, GstPad *pad, gpointer data) {
          if (GST_PAD_DIRECTION(pad) == GST_PAD_SRC)
            events_of(data).src_pad(pad);
        }),
        hold(shared), release, GConnectFlags(0));
  }
}

std::string
connection_name(const std::string &session_id, guint gen) {
  return gen ? session_id + "-" + std::to_string(gen) : session_id;
}

std::string
webrtcbin_name(const std::string &session_id, guint gen) {
  return "webrtcbin-" + connection_name(session_id, gen);
}

GstElement *
webrtcbin_of(GstObject *src, GstObject *bin) {
  for (GstObject *o = src; o && o != bin; o = GST_OBJECT_PARENT(o)) {
    GstElementFactory *f
        = GST_IS_ELEMENT(o) ? gst_element_get_factory(GST_ELEMENT(o)) : nullptr;
    if (f && g_strcmp0(GST_OBJECT_NAME(f), "webrtcbin") == 0)
      return GST_ELEMENT(o);
  }
  return nullptr;
}

} // namespace gws
