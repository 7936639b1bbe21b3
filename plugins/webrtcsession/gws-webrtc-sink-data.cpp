/* gst-webrtc-session: webrtcsink's data channels and remote control
 * (session thread unless said; see gws-webrtc-sink-private.h).
 *
 * Each session has a DataChannels (gws-data-channels.h) with the
 * `data-channels` labels and, unless `enable-control-channel` is FALSE,
 * `control`: the upstream remote-control protocol
 * (gws-control-protocol.h). A consumer's navigation request becomes a
 * GstNavigation event pushed upstream from the video input(s) (the one
 * whose m-line has the request's mid, else every video input), a custom
 * upstream event goes up every input (or the mid's); each request is
 * answered with a ControlResponseMessage on the channel it came on. */
#include "gws-webrtc-sink-private.h"

#include "gws-control-protocol.h"

#define GST_CAT_DEFAULT gws_webrtc_sink_debug

namespace gws {

namespace {

const char kControlLabel[] = "control";

std::string
bytes_text(GBytes *b) {
  gsize n = 0;
  const char *p = static_cast<const char *>(g_bytes_get_data(b, &n));
  return std::string(p ? p : "", n);
}

} // namespace

void
SinkPrivate::make_data(SinkSession &s, const std::string &id) {
  std::vector<ChannelSpec> specs;
  bool control;
  {
    std::lock_guard<std::mutex> g(lock);
    specs = channel_specs;
    control = enable_control;
  }
  if (control) {
    bool listed = false;
    for (const auto &c : specs)
      listed = listed || c.label == kControlLabel;
    if (!listed) {
      ChannelSpec spec;
      spec.label = kControlLabel;
      specs.insert(specs.begin(), spec);
    }
  }
  s.control = control;
  DataChannels::Events ev;
  ev.message
      = [this, id](const DataChannels::Message &m) { on_data_message(id, m); };
  ev.state = [this, id](const std::string &label, guint gen, bool open) {
    post_channel_message(GST_ELEMENT(self), id, label, gen, open);
  };
  s.data = DataChannels::create(
      GST_OBJECT(self), id, std::move(specs),
      [this](std::function<void()> fn) { loop.post(std::move(fn)); },
      std::move(ev));
}

void
SinkPrivate::on_data_message(
    const std::string &id, const DataChannels::Message &m) {
  auto it = sessions.find(id);
  if (it == sessions.end())
    return;
  if (it->second.control && m.label == kControlLabel) {
    on_control_request(it->second, id, m);
    return;
  }
  g_signal_emit(self, gws_webrtc_sink_signals[SIGNAL_DATA_RECEIVED], 0,
      id.c_str(), m.label.c_str(), m.data, m.text);
}

void
SinkPrivate::on_control_request(
    SinkSession &s, const std::string &id, const DataChannels::Message &m) {
  std::string text = bytes_text(m.data);
  ControlRequest req;
  std::string error;
  if (!m.text) {
    GST_WARNING_OBJECT(self,
        "session %s: binary message on the control channel ignored",
        id.c_str());
    return;
  }
  if (!control_parse_request(text, &req, &error)) {
    /* One consumer's bad request: a warning in the log and an answer,
     * never more. */
    GST_WARNING_OBJECT(
        self, "session %s: bad control request: %s", id.c_str(), error.c_str());
    if (req.id >= 0)
      s.data->reply(m, control_response(req.id, error));
    return;
  }
  int only = -1;
  if (!req.mid.empty()) {
    ConsumerSession *c = s.conns.find(m.gen);
    if (!c)
      c = s.conns.current();
    only = c ? c->stream_for_mid(req.mid) : -1;
    if (only < 0)
      error = "no stream has mid " + req.mid;
  }
  bool navigation = req.type == ControlRequestType::Navigation;
  guint sent = 0;
  if (error.empty()) {
    std::vector<std::shared_ptr<InputStream>> ins = inputs();
    for (size_t i = 0; i < ins.size(); i++) {
      if (only >= 0 && static_cast<int>(i) != only)
        continue;
      if (navigation && ins[i]->kind != MediaKind::Video)
        continue;
      GstPad *pad = GST_PAD(gst_object_ref(ins[i]->ghost));
      /* Upstream from our sink pad: the producer's pipeline sees it as
       * a navigation event from a video sink would be. */
      gboolean handled
          = gst_pad_push_event(pad, gst_event_ref(req.event.get()));
      GST_LOG_OBJECT(self, "session %s: %" GST_PTR_FORMAT " up %s: %s",
          id.c_str(), req.event.get(), ins[i]->name.c_str(),
          handled ? "handled" : "not handled");
      gst_object_unref(pad);
      sent++;
    }
    if (sent == 0)
      error = navigation ? "no video input to take navigation events"
                         : "no input to take the event";
  }
  s.data->reply(m, control_response(req.id, error));
}

gboolean
SinkPrivate::send_data(
    const gchar *session_id, const gchar *label, GBytes *data, bool text) {
  if (!label || !*label || !data) {
    GST_WARNING_OBJECT(self, "send-data: needs a label and data");
    return FALSE;
  }
  std::string only = session_id ? session_id : "";
  bool all = session_id == nullptr;
  std::string name = label;
  auto bytes = std::shared_ptr<GBytes>(g_bytes_ref(data), g_bytes_unref);
  return run_on_session_thread(
      loop, stats_snapshot, session_id, [this, only, all, name, bytes, text]() {
        bool any = false;
        for (auto &kv : sessions) {
          if ((all || kv.first == only) && kv.second.data) {
            kv.second.data->send(name, bytes.get(), text);
            any = true;
          }
        }
        return any;
      });
}

} // namespace gws
