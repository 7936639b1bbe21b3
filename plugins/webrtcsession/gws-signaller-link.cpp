/* gst-webrtc-session: signaller signal wiring (see gws-signaller-link.h). */
#include "gws-signaller-link.h"

#include "gws-debug.h"
#include "gws-sdp-bundle.h"

GWS_DEBUG_CATEGORY(gws_signaller_link_debug, "gws-signaller-link",
    "an element connected to its signaller")
#define GST_CAT_DEFAULT gws_signaller_link_debug()

namespace gws {

namespace {

using Shared = std::shared_ptr<SignallerCallbacks>;

std::string
str(const gchar *s) {
  return s ? s : "";
}

void
free_shared(gpointer data, GClosure *) {
  delete static_cast<Shared *>(data);
}

const SignallerCallbacks &
cbs(gpointer data) {
  return **static_cast<Shared *>(data);
}

/* Our copy of a remote description; an offer is made acceptable to
 * webrtcbin first (gws-sdp-bundle.h). */
DescPtr
remote_desc(const GstWebRTCSessionDescription *desc) {
  DescPtr copy = copy_desc(desc);
  if (copy && copy->type == GST_WEBRTC_SDP_TYPE_OFFER)
    sdp_normalize_bundle(copy->sdp);
  return copy;
}

} // namespace

void
SignallerLink::connect(GwsSignaller *signaller, SignallerCallbacks callbacks) {
  disconnect();
  signaller_ = GWS_SIGNALLER(g_object_ref(signaller));
  Shared shared = std::make_shared<SignallerCallbacks>(std::move(callbacks));
  auto add = [&](const char *signal, GCallback cb) {
    handlers_.push_back(g_signal_connect_data(signaller, signal, cb,
        new Shared(shared), free_shared, GConnectFlags(0)));
  };

  add("session-requested",
      G_CALLBACK(+[](GwsSignaller *, const gchar *id, const gchar *peer,
                      GstWebRTCSessionDescription *offer, gpointer data) {
        if (cbs(data).session_requested)
          cbs(data).session_requested(str(id), str(peer), remote_desc(offer));
      }));
  add("session-started", G_CALLBACK(+[](GwsSignaller *, const gchar *id,
                                         const gchar *peer, gpointer data) {
    if (cbs(data).session_started)
      cbs(data).session_started(str(id), str(peer));
  }));
  add("session-description",
      G_CALLBACK(+[](GwsSignaller *, const gchar *id,
                      GstWebRTCSessionDescription *desc, gpointer data) {
        if (cbs(data).session_description)
          cbs(data).session_description(str(id), remote_desc(desc));
      }));
  add("handle-ice",
      G_CALLBACK(+[](GwsSignaller *, const gchar *id, guint mline,
                      const gchar *mid, const gchar *candidate, gpointer data) {
        if (cbs(data).handle_ice)
          cbs(data).handle_ice(str(id), mline, str(candidate));
      }));
  add("session-ended", G_CALLBACK(+[](GwsSignaller *, const gchar *id,
                                       const gchar *reason, gpointer data) {
    if (cbs(data).session_ended)
      cbs(data).session_ended(str(id), str(reason));
  }));
  /* "error" is detailed: "retrying" means the signaller goes on,
   * "unavailable" that what it needs is missing (it stopped); anything else
   * (normally "fatal") means it gave up. */
  add("error", G_CALLBACK(+[](GwsSignaller *sig, const gchar *message,
                               gpointer data) {
    GSignalInvocationHint *hint = g_signal_get_invocation_hint(sig);
    SignallerErrorKind kind = SignallerErrorKind::Fatal;
    if (hint && hint->detail == g_quark_from_static_string("retrying"))
      kind = SignallerErrorKind::Retrying;
    else if (hint && hint->detail == g_quark_from_static_string("unavailable"))
      kind = SignallerErrorKind::Unavailable;
    if (cbs(data).error)
      cbs(data).error(str(message), kind);
  }));
  add("connection-changed",
      G_CALLBACK(+[](GwsSignaller *, gboolean connected, gpointer data) {
        if (cbs(data).connection_changed)
          cbs(data).connection_changed(connected);
      }));
  /* Optional, per implementation (not part of the interface). */
  if (g_signal_lookup("element-message", G_OBJECT_TYPE(signaller)))
    add("element-message",
        G_CALLBACK(+[](GwsSignaller *, GstStructure *s, gpointer data) {
          if (cbs(data).element_message && s)
            cbs(data).element_message(s);
        }));
}

void
SignallerLink::disconnect() {
  if (!signaller_)
    return;
  for (gulong id : handlers_)
    g_signal_handler_disconnect(signaller_, id);
  handlers_.clear();
  g_object_unref(signaller_);
  signaller_ = nullptr;
}

void
report_signaller_state(SignallerCallbacks &cb, GstElement *element) {
  cb.error = [element](std::string message, SignallerErrorKind kind) {
    if (kind != SignallerErrorKind::Retrying)
      GST_ELEMENT_ERROR(
          element, RESOURCE, FAILED, ("%s", message.c_str()), (nullptr));
    else
      GST_ELEMENT_WARNING(element, RESOURCE, OPEN_READ_WRITE,
          ("%s", message.c_str()), (nullptr));
  };
  cb.connection_changed = [element](bool connected) {
    GST_INFO_OBJECT(
        element, "signalling %s", connected ? "connected" : "disconnected");
  };
  cb.element_message = [element](GstStructure *s) {
    gst_element_post_message(element,
        gst_message_new_element(GST_OBJECT(element), gst_structure_copy(s)));
  };
}

void
post_session_failed(GstElement *element, const std::string &session_id,
    const std::string &peer_id, const std::string &reason) {
  GST_ELEMENT_WARNING(element, STREAM, FAILED,
      ("session with %s failed: %s",
          peer_id.empty() ? "(unknown peer)" : peer_id.c_str(), reason.c_str()),
      ("session %s", session_id.c_str()));
  gst_element_post_message(element,
      gst_message_new_element(GST_OBJECT(element),
          gst_structure_new("gws-session-failed", "session-id", G_TYPE_STRING,
              session_id.c_str(), "peer-id", G_TYPE_STRING, peer_id.c_str(),
              "reason", G_TYPE_STRING, reason.c_str(), nullptr)));
}

} // namespace gws
