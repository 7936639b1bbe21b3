/* gst-webrtc-session: webrtccall's data channels (session thread unless
 * said; see gws-webrtc-call-private.h and docs/calls.md).
 *
 * A call has one DataChannels (gws-data-channels.h), the class webrtcsink
 * and webrtcsrc use per session: the `data-channels` labels are created on
 * the call's connection just before its offer (the callee) or answer (the
 * caller), the channels the other side opens are taken, and messages go
 * both ways with the same action signals and the same `data-received`
 * signal as those elements. Only the callee's offer decides whether the
 * call has a data section (see docs/calls.md). */
#include "gws-webrtc-call-private.h"

#include "gws-session-loop.h"

#define GST_CAT_DEFAULT gws_webrtc_call_debug

namespace gws {

void
CallPrivate::make_data(Call &c) {
  std::vector<ChannelSpec> specs;
  {
    std::lock_guard<std::mutex> g(lock);
    specs = channel_specs;
  }
  std::string id = c.id;
  DataChannels::Events ev;
  ev.message
      = [this, id](const DataChannels::Message &m) { on_data_message(id, m); };
  ev.state = [this, id](const std::string &label, guint gen, bool open) {
    post_channel_message(GST_ELEMENT(self), id, label, gen, open);
  };
  c.data = DataChannels::create(
      GST_OBJECT(self), id, std::move(specs),
      [this](std::function<void()> fn) { loop.post(std::move(fn)); },
      std::move(ev));
}

void
CallPrivate::attach_data(Call &c, ConsumerSession &conn) {
  if (!c.data)
    return;
  c.data->attach(conn.webrtcbin(), conn.gen(), false);
  std::weak_ptr<DataChannels> weak = c.data;
  guint gen = conn.gen();
  /* Once the webrtcbin is started, before the offer or answer: an
   * offerer's channels give it an m=application line. */
  conn.set_ready_hook([weak, gen]() {
    if (auto d = weak.lock())
      d->create_channels(gen);
  });
}

void
CallPrivate::on_data_message(
    const std::string &id, const DataChannels::Message &m) {
  if (!call || call->id != id)
    return;
  g_signal_emit(self, gws_webrtc_call_signals[CALL_SIGNAL_DATA_RECEIVED], 0,
      id.c_str(), m.label.c_str(), m.data, m.text);
}

gboolean
CallPrivate::send_data(
    const gchar *session_id, const gchar *label, GBytes *bytes, bool text) {
  if (!label || !*label || !bytes) {
    GST_WARNING_OBJECT(self, "send-data: needs a label and data");
    return FALSE;
  }
  std::string only = session_id ? session_id : "";
  bool any = session_id == nullptr;
  std::string name = label;
  auto b = std::shared_ptr<GBytes>(g_bytes_ref(bytes), g_bytes_unref);
  return run_on_session_thread(
      loop, stats_snapshot, session_id, [this, only, any, name, b, text]() {
        if (!call || !call->data || !(any || call->id == only))
          return false;
        call->data->send(name, b.get(), text);
        return true;
      });
}

} // namespace gws
