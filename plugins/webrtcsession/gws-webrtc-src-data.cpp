/* gst-webrtc-session: webrtcsrc's data channels and navigation (session
 * thread unless said; see gws-webrtc-src-private.h).
 *
 * The session's DataChannels (gws-data-channels.h) open the
 * `data-channels` labels and take the producer's channels. A producer's
 * `control` channel (webrtcsink's, or the Rust webrtcsink's) carries the
 * navigation events that reach our output pads from downstream (a video
 * sink's window), as the upstream gstwebrtc-api client sends them; the
 * producer's answers are logged (a refused request as a warning). */
#include "gws-webrtc-src-private.h"

#include "gws-control-protocol.h"

#define GST_CAT_DEFAULT gws_webrtc_src_debug

namespace gws {

namespace {

const char kControlLabel[] = "control";

} // namespace

void
SrcPrivate::make_data(const std::string &id) {
  std::vector<ChannelSpec> specs;
  {
    std::lock_guard<std::mutex> g(lock);
    specs = channel_specs;
  }
  DataChannels::Events ev;
  ev.message
      = [this, id](const DataChannels::Message &m) { on_data_message(id, m); };
  ev.state = [this, id](const std::string &label, guint gen, bool open) {
    post_channel_message(GST_ELEMENT(self), id, label, gen, open);
  };
  next_control_id = 0;
  data = DataChannels::create(
      GST_OBJECT(self), id, std::move(specs),
      [this](std::function<void()> fn) { loop.post(std::move(fn)); },
      std::move(ev));
}

void
SrcPrivate::on_data_message(
    const std::string &id, const DataChannels::Message &m) {
  if (!data || data->session_id() != id)
    return;
  if (m.label == kControlLabel && m.text) {
    gsize n = 0;
    const char *p = static_cast<const char *>(g_bytes_get_data(m.data, &n));
    std::string type, error;
    gint64 req = -1;
    if (control_parse_message(std::string(p ? p : "", n), &type, &req, &error)
        && type == "ControlResponseMessage") {
      if (!error.empty())
        GST_WARNING_OBJECT(self,
            "session %s: the producer refused request "
            "%" G_GINT64_FORMAT ": %s",
            id.c_str(), req, error.c_str());
      else
        GST_LOG_OBJECT(self, "session %s: request %" G_GINT64_FORMAT " done",
            id.c_str(), req);
      return;
    }
  }
  g_signal_emit(self, gws_webrtc_src_signals[SIGNAL_DATA_RECEIVED], 0,
      id.c_str(), m.label.c_str(), m.data, m.text);
}

std::string
SrcPrivate::output_mid(GstPad *pad) {
  GstElement *depay = nullptr;
  {
    std::lock_guard<std::mutex> g(lock);
    for (auto &o : outputs) {
      if (o->ghost != pad)
        continue;
      for (auto &c : o->chains) {
        if (c.gen == o->active_gen && !c.elements.empty())
          depay = GST_ELEMENT(gst_object_ref(c.elements.front()));
      }
    }
  }
  if (!depay)
    return "";
  /* Chains are removed on this thread only: the depayloader is still
   * linked to the webrtcbin pad that feeds it. */
  std::string mid;
  GstPad *sink = gst_element_get_static_pad(depay, "sink");
  GstPad *peer = sink ? gst_pad_get_peer(sink) : nullptr;
  if (peer
      && g_object_class_find_property(
          G_OBJECT_GET_CLASS(peer), "transceiver")) {
    GstWebRTCRTPTransceiver *trans = nullptr;
    g_object_get(peer, "transceiver", &trans, nullptr);
    gchar *m = nullptr;
    if (trans) {
      g_object_get(trans, "mid", &m, nullptr);
      gst_object_unref(trans);
    }
    mid = m ? m : "";
    g_free(m);
  }
  if (peer)
    gst_object_unref(peer);
  if (sink)
    gst_object_unref(sink);
  gst_object_unref(depay);
  return mid;
}

void
SrcPrivate::forward_navigation(GstPad *pad, GstEvent *event) {
  auto ev = std::shared_ptr<GstEvent>(gst_event_ref(event), gst_event_unref);
  auto out = std::shared_ptr<GstPad>(
      GST_PAD(gst_object_ref(pad)), [](GstPad *p) { gst_object_unref(p); });
  loop.post([this, ev, out]() {
    /* Only to a producer that speaks the protocol: it opened `control`
     * (on this connection or an earlier one of the session). */
    if (!data || !data->knows(kControlLabel))
      return;
    /* The mid names the stream, so a producer with several video inputs
     * sends the event up the one this pad shows. */
    std::string text = control_navigation_request(
        next_control_id, ev.get(), output_mid(out.get()));
    if (text.empty())
      return;
    next_control_id++;
    GST_DEBUG_OBJECT(self, "navigation request %s", text.c_str());
    GBytes *b = g_bytes_new(text.data(), text.size());
    data->send(kControlLabel, b, true);
    g_bytes_unref(b);
  });
}

gboolean
SrcPrivate::send_data(
    const gchar *session_id, const gchar *label, GBytes *bytes, bool text) {
  if (!label || !*label || !bytes) {
    GST_WARNING_OBJECT(self, "send-data: needs a label and data");
    return FALSE;
  }
  std::string only = session_id ? session_id : "";
  bool all = session_id == nullptr;
  std::string name = label;
  auto b = std::shared_ptr<GBytes>(g_bytes_ref(bytes), g_bytes_unref);
  return run_on_session_thread(
      loop, stats_snapshot, session_id, [this, only, all, name, b, text]() {
        if (!data || !(all || data->session_id() == only))
          return false;
        data->send(name, b.get(), text);
        return true;
      });
}

} // namespace gws
