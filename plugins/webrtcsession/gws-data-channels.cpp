/* gst-webrtc-session: a session's data channels (see gws-data-channels.h). */
#include "gws-data-channels.h"

#include <algorithm>
#include <cstring>

GST_DEBUG_CATEGORY_STATIC(gws_data_channels_debug);
#define GST_CAT_DEFAULT gws_data_channels_debug

namespace gws {

namespace {

void
init_debug() {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(gws_data_channels_debug, "webrtc-data-channels", 0,
        "gst-webrtc-session data channels");
    g_once_init_leave(&once, 1);
  }
}

using BytesPtr = std::shared_ptr<GBytes>;

BytesPtr
share_bytes(GBytes *b) {
  return BytesPtr(g_bytes_ref(b), g_bytes_unref);
}

bool
spec_from_structure(
    const GstStructure *st, ChannelSpec *spec, std::string *error) {
  spec->label = gst_structure_get_name(st);
  gboolean ordered = TRUE;
  if (gst_structure_has_field(st, "ordered")
      && !gst_structure_get_boolean(st, "ordered", &ordered)) {
    *error = "ordered must be a boolean";
    return false;
  }
  spec->ordered = ordered;
  gint v;
  if (gst_structure_get_int(st, "max-retransmits", &v))
    spec->max_retransmits = v;
  if (gst_structure_get_int(st, "max-packet-lifetime", &v))
    spec->max_packet_lifetime = v;
  if (const char *p = gst_structure_get_string(st, "protocol"))
    spec->protocol = p;
  if (spec->max_retransmits >= 0 && spec->max_packet_lifetime >= 0) {
    *error = "channel " + spec->label
             + ": max-retransmits and max-packet-lifetime exclude each other";
    return false;
  }
  return true;
}

} // namespace

bool
parse_channel_specs(
    const GValue *value, std::vector<ChannelSpec> *out, std::string *error) {
  out->clear();
  if (!value || !G_IS_VALUE(value) || !GST_VALUE_HOLDS_ARRAY(value))
    return true;
  for (guint i = 0; i < gst_value_array_get_size(value); i++) {
    const GValue *item = gst_value_array_get_value(value, i);
    ChannelSpec spec;
    GstStructure *parsed = nullptr;
    const GstStructure *st = nullptr;
    if (GST_VALUE_HOLDS_STRUCTURE(item)) {
      st = gst_value_get_structure(item);
    } else if (G_VALUE_HOLDS_STRING(item) && g_value_get_string(item)) {
      parsed = gst_structure_from_string(g_value_get_string(item), nullptr);
      st = parsed;
      if (!st) {
        *error = std::string("\"") + g_value_get_string(item)
                 + "\" is not a label (letters, digits, -_.:/+) or a "
                   "structure (label,ordered=false,max-retransmits=0)";
        return false;
      }
    } else {
      *error = "each item is a label or a structure";
      return false;
    }
    bool ok = spec_from_structure(st, &spec, error);
    if (parsed)
      gst_structure_free(parsed);
    if (!ok)
      return false;
    for (const auto &s : *out) {
      if (s.label == spec.label) {
        *error = "channel " + spec.label + " is listed twice";
        return false;
      }
    }
    out->push_back(std::move(spec));
  }
  return true;
}

void
post_channel_message(GstElement *element, const std::string &session_id,
    const std::string &label, guint gen, bool open) {
  GstStructure *st = gst_structure_new("gws-data-channel", "session-id",
      G_TYPE_STRING, session_id.c_str(), "label", G_TYPE_STRING, label.c_str(),
      "connection", G_TYPE_UINT, gen, "open", G_TYPE_BOOLEAN, open, nullptr);
  gst_element_post_message(
      element, gst_message_new_element(GST_OBJECT(element), st));
}

std::shared_ptr<DataChannels>
DataChannels::create(GstObject *owner, std::string session_id,
    std::vector<ChannelSpec> specs, Post post, Events events) {
  init_debug();
  return std::shared_ptr<DataChannels>(
      new DataChannels(owner, std::move(session_id), std::move(specs),
          std::move(post), std::move(events)));
}

DataChannels::DataChannels(GstObject *owner, std::string session_id,
    std::vector<ChannelSpec> specs, Post post, Events events)
    : owner_(owner), session_id_(std::move(session_id)),
      specs_(std::move(specs)), post_(std::move(post)),
      events_(std::move(events)) {}

DataChannels::~DataChannels() {
  ending_ = true;
  while (!conns_.empty())
    detach(conns_.front().gen);
  size_t lost = queued();
  if (lost)
    GST_INFO_OBJECT(owner_,
        "session %s ended with %zu data channel messages never sent",
        session_id_.c_str(), lost);
  for (auto &kv : queue_) {
    for (auto &q : kv.second)
      g_bytes_unref(q.data);
  }
}

DataChannels::Conn *
DataChannels::find_conn(guint gen) {
  for (auto &c : conns_) {
    if (c.gen == gen)
      return &c;
  }
  return nullptr;
}

DataChannels::Conn *
DataChannels::newest() {
  return conns_.empty() ? nullptr : &conns_.back();
}

DataChannels::Channel *
DataChannels::find_channel(guint gen, const void *dc) {
  Conn *c = find_conn(gen);
  if (!c)
    return nullptr;
  for (auto &ch : c->channels) {
    if (ch.dc == dc)
      return &ch;
  }
  return nullptr;
}

namespace {

struct Hook {
  std::weak_ptr<DataChannels> self;
  DataChannels::Post post;
  guint gen;
};

void
free_hook(gpointer data, GClosure *) {
  delete static_cast<Hook *>(data);
}

} // namespace

std::vector<gulong>
DataChannels::watch(std::weak_ptr<DataChannels> self, Post post, guint gen,
    GstWebRTCDataChannel *dc) {
  auto connect = [&](const char *signal, GCallback cb) {
    return g_signal_connect_data(
        dc, signal, cb, new Hook{self, post, gen}, free_hook, GConnectFlags(0));
  };
  std::vector<gulong> ids;
  ids.push_back(connect(
      "on-open", G_CALLBACK(+[](GstWebRTCDataChannel *c, gpointer data) {
        auto *h = static_cast<Hook *>(data);
        auto self = h->self;
        guint gen = h->gen;
        h->post([self, gen, c]() {
          if (auto s = self.lock())
            s->on_state(gen, c, true);
        });
      })));
  ids.push_back(connect(
      "on-close", G_CALLBACK(+[](GstWebRTCDataChannel *c, gpointer data) {
        auto *h = static_cast<Hook *>(data);
        auto self = h->self;
        guint gen = h->gen;
        h->post([self, gen, c]() {
          if (auto s = self.lock())
            s->on_state(gen, c, false);
        });
      })));
  ids.push_back(connect("on-error",
      G_CALLBACK(+[](GstWebRTCDataChannel *c, GError *err, gpointer) {
        GST_WARNING_OBJECT(
            c, "data channel error: %s", err ? err->message : "error");
      })));
  struct Cb {
    static void string(GstWebRTCDataChannel *c, const gchar *str, gpointer d) {
      GBytes *b = g_bytes_new(str ? str : "", str ? strlen(str) : 0);
      post_message(static_cast<Hook *>(d), c, b, true);
      g_bytes_unref(b);
    }
    static void data(GstWebRTCDataChannel *c, GBytes *b, gpointer d) {
      GBytes *empty = nullptr;
      if (!b)
        b = empty = g_bytes_new(nullptr, 0);
      post_message(static_cast<Hook *>(d), c, b, false);
      if (empty)
        g_bytes_unref(empty);
    }
    static void post_message(
        Hook *h, GstWebRTCDataChannel *c, GBytes *b, bool text) {
      auto self = h->self;
      guint gen = h->gen;
      BytesPtr bytes = share_bytes(b);
      h->post([self, gen, c, bytes, text]() {
        if (auto s = self.lock())
          s->deliver(gen, c, bytes.get(), text);
      });
    }
  };
  ids.push_back(connect("on-message-string", G_CALLBACK(Cb::string)));
  ids.push_back(connect("on-message-data", G_CALLBACK(Cb::data)));
  return ids;
}

void
DataChannels::deliver(guint gen, const void *dc, GBytes *bytes, bool text) {
  Channel *ch = find_channel(gen, dc);
  if (!ch || !events_.message)
    return;
  Message m;
  m.label = ch->label;
  m.data = bytes;
  m.text = text;
  m.gen = gen;
  m.channel = dc;
  events_.message(m);
}

void
DataChannels::attach(GstElement *webrtc, guint gen, bool create) {
  if (find_conn(gen))
    return;
  conns_.push_back(Conn());
  Conn &conn = conns_.back();
  conn.gen = gen;
  conn.webrtc = GST_ELEMENT(gst_object_ref(webrtc));
  std::weak_ptr<DataChannels> weak = weak_from_this();
  /* The peer's channels: watched on webrtcbin's thread at once, so no
   * message of theirs arrives unwatched. */
  conn.on_data_channel = g_signal_connect_data(webrtc, "on-data-channel",
      G_CALLBACK(+[](GstElement *, GstWebRTCDataChannel *dc, gpointer data) {
        auto *h = static_cast<Hook *>(data);
        std::vector<gulong> ids = watch(h->self, h->post, h->gen, dc);
        auto self = h->self;
        guint gen = h->gen;
        /* Owns the channel and our handlers until add_channel takes them;
         * if the work is dropped (the session thread is stopping) or the
         * connection is gone, its destructor lets go of both. */
        struct Held {
          GstWebRTCDataChannel *dc = nullptr;
          std::vector<gulong> ids;
          ~Held() {
            if (!dc)
              return;
            for (gulong id : ids)
              g_signal_handler_disconnect(dc, id);
            gst_object_unref(dc);
          }
        };
        auto held = std::make_shared<Held>();
        held->dc = static_cast<GstWebRTCDataChannel *>(gst_object_ref(dc));
        held->ids = std::move(ids);
        h->post([self, gen, held]() {
          if (auto s = self.lock()) {
            if (s->find_conn(gen)) {
              GstWebRTCDataChannel *taken = held->dc;
              held->dc = nullptr;
              s->add_channel(gen, taken, held->ids);
            }
          }
        });
      }),
      new Hook{weak, post_, gen}, free_hook, GConnectFlags(0));
  if (create)
    create_channels(gen);
}

void
DataChannels::create_channels(guint gen) {
  Conn *conn = find_conn(gen);
  if (!conn)
    return;
  GstElement *webrtc = conn->webrtc;
  std::weak_ptr<DataChannels> weak = weak_from_this();
  for (const ChannelSpec &spec : specs_) {
    GstStructure *opts = gst_structure_new(
        "options", "ordered", G_TYPE_BOOLEAN, spec.ordered, nullptr);
    if (spec.max_retransmits >= 0)
      gst_structure_set(
          opts, "max-retransmits", G_TYPE_INT, spec.max_retransmits, nullptr);
    if (spec.max_packet_lifetime >= 0)
      gst_structure_set(opts, "max-packet-lifetime", G_TYPE_INT,
          spec.max_packet_lifetime, nullptr);
    if (!spec.protocol.empty())
      gst_structure_set(
          opts, "protocol", G_TYPE_STRING, spec.protocol.c_str(), nullptr);
    GstWebRTCDataChannel *dc = nullptr;
    g_signal_emit_by_name(
        webrtc, "create-data-channel", spec.label.c_str(), opts, &dc);
    gst_structure_free(opts);
    if (!dc) {
      GST_WARNING_OBJECT(owner_,
          "session %s connection %u: webrtcbin refused "
          "data channel %s",
          session_id_.c_str(), gen, spec.label.c_str());
      continue;
    }
    add_channel(gen, dc, watch(weak, post_, gen, dc));
  }
  GST_DEBUG_OBJECT(owner_, "session %s connection %u: %zu data channels",
      session_id_.c_str(), gen, specs_.size());
}

void
DataChannels::add_channel(
    guint gen, GstWebRTCDataChannel *dc, std::vector<gulong> handlers) {
  Conn *conn = find_conn(gen);
  Channel ch;
  ch.dc = dc; /* the reference is the caller's, now ours */
  ch.handlers = std::move(handlers);
  gchar *label = nullptr;
  GstWebRTCDataChannelState state = GST_WEBRTC_DATA_CHANNEL_STATE_CONNECTING;
  gboolean ordered = TRUE;
  gint max_rtx = -1, max_life = -1;
  gchar *protocol = nullptr;
  g_object_get(dc, "label", &label, "ready-state", &state, "ordered", &ordered,
      "max-retransmits", &max_rtx, "max-packet-lifetime", &max_life, "protocol",
      &protocol, nullptr);
  ch.label = label ? label : "";
  /* A label the peer opened is opened again on the next connection. */
  bool known = false;
  for (const auto &s : specs_)
    known = known || s.label == ch.label;
  if (!known) {
    ChannelSpec spec;
    spec.label = ch.label;
    spec.ordered = ordered;
    spec.max_retransmits = max_rtx;
    spec.max_packet_lifetime = max_rtx >= 0 ? -1 : max_life;
    spec.protocol = protocol ? protocol : "";
    specs_.push_back(spec);
    GST_INFO_OBJECT(owner_, "session %s: the peer opened data channel %s",
        session_id_.c_str(), ch.label.c_str());
  }
  g_free(label);
  g_free(protocol);
  conn->channels.push_back(std::move(ch));
  if (state == GST_WEBRTC_DATA_CHANNEL_STATE_OPEN)
    on_state(gen, dc, true);
}

void
DataChannels::on_state(guint gen, const void *dc, bool open) {
  Channel *ch = find_channel(gen, dc);
  if (!ch || ch->open == open)
    return;
  ch->open = open;
  std::string label = ch->label;
  GST_INFO_OBJECT(owner_, "session %s connection %u: data channel %s %s",
      session_id_.c_str(), gen, label.c_str(), open ? "open" : "closed");
  if (events_.state)
    events_.state(label, gen, open);
  if (open && newest() && newest()->gen == gen)
    flush(label);
}

void
DataChannels::detach(guint gen) {
  auto it = std::find_if(conns_.begin(), conns_.end(),
      [gen](const Conn &c) { return c.gen == gen; });
  if (it == conns_.end())
    return;
  Conn conn = std::move(*it);
  conns_.erase(it);
  for (auto &ch : conn.channels) {
    for (gulong id : ch.handlers)
      g_signal_handler_disconnect(ch.dc, id);
    gst_object_unref(ch.dc);
  }
  g_signal_handler_disconnect(conn.webrtc, conn.on_data_channel);
  gst_object_unref(conn.webrtc);
  /* A failed restart: what waited for it goes to the connection left. */
  if (!ending_) {
    for (auto &kv : queue_)
      flush(kv.first);
  }
}

bool
DataChannels::send_on(GstWebRTCDataChannel *dc, GBytes *data, bool text) {
  GError *err = nullptr;
  gboolean ok;
  if (text) {
    gsize n = 0;
    const char *p = static_cast<const char *>(g_bytes_get_data(data, &n));
    std::string s(p ? p : "", n);
    ok = gst_webrtc_data_channel_send_string_full(dc, s.c_str(), &err);
  } else {
    ok = gst_webrtc_data_channel_send_data_full(dc, data, &err);
  }
  if (!ok) {
    GST_WARNING_OBJECT(owner_, "session %s: could not send %zu bytes: %s",
        session_id_.c_str(), g_bytes_get_size(data),
        err ? err->message : "unknown error");
    g_clear_error(&err);
  }
  return ok;
}

void
DataChannels::flush(const std::string &label) {
  auto q = queue_.find(label);
  Conn *conn = newest();
  if (q == queue_.end() || q->second.empty() || !conn)
    return;
  GstWebRTCDataChannel *dc = nullptr;
  for (auto &ch : conn->channels) {
    if (ch.open && ch.label == label) {
      dc = ch.dc;
      break;
    }
  }
  if (!dc)
    return;
  while (!q->second.empty()) {
    Queued m = q->second.front();
    q->second.pop_front();
    queued_bytes_ -= g_bytes_get_size(m.data);
    /* A message webrtcbin refuses (too large, say) is dropped with a
     * warning: sending it again would fail again. */
    send_on(dc, m.data, m.text);
    g_bytes_unref(m.data);
  }
}

void
DataChannels::send(const std::string &label, GBytes *data, bool text) {
  /* A label that never opens (the peer negotiated no data section) must
   * not grow without bound. */
  if (queued_bytes_ + g_bytes_get_size(data) > kMaxQueuedBytes) {
    GST_WARNING_OBJECT(owner_,
        "session %s: data channel %s is not open and %zu bytes wait "
        "already: message of %zu bytes dropped",
        session_id_.c_str(), label.c_str(), queued_bytes_,
        g_bytes_get_size(data));
    return;
  }
  queued_bytes_ += g_bytes_get_size(data);
  queue_[label].push_back(Queued{g_bytes_ref(data), text});
  flush(label);
}

void
DataChannels::reply(const Message &to, const std::string &text) {
  Channel *ch = find_channel(to.gen, to.channel);
  if (ch && ch->open) {
    GBytes *b = g_bytes_new(text.data(), text.size());
    send_on(ch->dc, b, true);
    g_bytes_unref(b);
    return;
  }
  GBytes *b = g_bytes_new(text.data(), text.size());
  send(to.label, b, true);
  g_bytes_unref(b);
}

std::vector<std::string>
DataChannels::open_labels() const {
  std::vector<std::string> out;
  if (conns_.empty())
    return out;
  for (const auto &ch : conns_.back().channels) {
    if (ch.open && std::find(out.begin(), out.end(), ch.label) == out.end())
      out.push_back(ch.label);
  }
  return out;
}

bool
DataChannels::knows(const std::string &label) const {
  for (const auto &s : specs_) {
    if (s.label == label)
      return true;
  }
  return false;
}

size_t
DataChannels::queued() const {
  size_t n = 0;
  for (const auto &kv : queue_)
    n += kv.second.size();
  return n;
}

} // namespace gws
