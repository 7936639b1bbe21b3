/* gst-webrtc-session: webrtccall, a two-way call bin (see
 * gws-webrtc-call.h, docs/calls.md).
 *
 * SECTION:element-webrtccall
 *
 * One WebRTC peer connection per call, carrying media both ways through
 * our relay: what reaches the request sink pads is encoded and sent (the
 * same shared encoder branches as webrtcsink), what the other side sends
 * is decoded and exposed on sometimes src pads. Without `call` the element
 * waits for calls under its `peer-id`; with `call` it calls that peer.
 *
 * Wait for calls as "bob", answer them, show and play what arrives:
 *
 *   gst-launch-1.0 webrtccall name=c uri=ws://127.0.0.1:8443 peer-id=bob \
 *     videotestsrc is-live=true ! c.video_0 \
 *     audiotestsrc is-live=true ! c.audio_0 \
 *     c.remote_video_0 ! queue ! videoconvert ! autovideosink \
 *     c.remote_audio_0 ! queue ! audioconvert ! autoaudiosink
 *
 * Call bob (the pipeline ends when the call does):
 *
 *   gst-launch-1.0 webrtccall name=c uri=ws://127.0.0.1:8443 call=bob \
 *     videotestsrc is-live=true ! c.video_0 \
 *     audiotestsrc is-live=true ! c.audio_0 \
 *     c.remote_video_0 ! queue ! videoconvert ! autovideosink \
 *     c.remote_audio_0 ! queue ! audioconvert ! autoaudiosink
 */
#include "gws-webrtc-call.h"

#include "gws-loss-recovery.h"
#include "gws-network-check.h"
#include "gws-webrtc-call-private.h"
#include "gws-webrtc-sink.h"
#include "gws-webrtcbin-events.h"

#include <algorithm>
#include <cstring>

GST_DEBUG_CATEGORY(gws_webrtc_call_debug);
#define GST_CAT_DEFAULT gws_webrtc_call_debug

using namespace gws;

guint gws_webrtc_call_signals[CALL_N_SIGNALS];

enum {
  PROP_0,
  PROP_URI,
  PROP_PEER_ID,
  PROP_CALL,
  PROP_INCOMING_CALLS,
  PROP_ICE_ADDRESSES,
  PROP_STATS,
  PROP_DATA_CHANNELS,
  PROP_PATH_TIMEOUT,
  PROP_AUTO_RESTART,
  PROP_MAX_RESTART_FAILURES,
};

static GstStaticPadTemplate video_sink_template
    = GST_STATIC_PAD_TEMPLATE("video_%u", GST_PAD_SINK, GST_PAD_REQUEST,
        GST_STATIC_CAPS("video/x-raw, format=(string)I420; video/x-raw; "
                        "video/x-vp8; video/x-vp9; "
                        "video/x-h264, stream-format=(string){ avc, avc3, "
                        "byte-stream }, alignment=(string){ au, nal }"));
static GstStaticPadTemplate audio_sink_template
    = GST_STATIC_PAD_TEMPLATE("audio_%u", GST_PAD_SINK, GST_PAD_REQUEST,
        GST_STATIC_CAPS("audio/x-raw; audio/x-opus"));
static GstStaticPadTemplate video_src_template
    = GST_STATIC_PAD_TEMPLATE("remote_video_%u", GST_PAD_SRC, GST_PAD_SOMETIMES,
        GST_STATIC_CAPS("video/x-raw"));
static GstStaticPadTemplate audio_src_template
    = GST_STATIC_PAD_TEMPLATE("remote_audio_%u", GST_PAD_SRC, GST_PAD_SOMETIMES,
        GST_STATIC_CAPS("audio/x-raw"));

struct _GwsWebRTCCall {
  GstBin parent;
  CallPrivate *priv;
};

GType
gws_call_incoming_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GWS_CALL_INCOMING_ACCEPT, "Answer every call at once", "accept"},
      {GWS_CALL_INCOMING_REFUSE, "Refuse every call", "refuse"},
      {GWS_CALL_INCOMING_ASK,
          "Emit incoming-call; the application answers with answer-call or "
          "refuses with refuse-call",
          "ask"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) {
    GType t = g_enum_register_static("GwsCallIncoming", values);
    g_once_init_leave(&type, t);
  }
  return type;
}

#define gws_webrtc_call_parent_class parent_class
G_DEFINE_TYPE(GwsWebRTCCall, gws_webrtc_call, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE(
    webrtccall, "webrtccall", GST_RANK_NONE, GWS_TYPE_WEBRTC_CALL);

/* ---- inputs ---- */

static GstPadProbeReturn
input_event_probe(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
  auto *self = GWS_WEBRTC_CALL(data);
  CallPrivate *priv = self->priv;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(event) == GST_EVENT_CAPS) {
    GstCaps *caps = nullptr;
    gst_event_parse_caps(event, &caps);
    {
      std::lock_guard<std::mutex> g(priv->lock);
      for (auto &in : priv->inputs) {
        if (in->tee == GST_PAD_PARENT(pad))
          gst_caps_replace(&in->caps, caps);
      }
    }
    priv->loop.post([priv]() { priv->connect_call(); });
  } else if (GST_EVENT_TYPE(event) == GST_EVENT_EOS) {
    bool all = true;
    {
      std::lock_guard<std::mutex> g(priv->lock);
      for (auto &in : priv->inputs) {
        if (in->tee == GST_PAD_PARENT(pad))
          in->eos = true;
        all = all && in->eos;
      }
    }
    if (all) {
      GST_INFO_OBJECT(self, "every input is at EOS: hanging up");
      priv->loop.post([priv, self]() {
        if (priv->call)
          priv->end_call("hung up: what we send has ended", true, true);
        else
          gst_element_post_message(
              GST_ELEMENT(self), gst_message_new_eos(GST_OBJECT(self)));
      });
    }
  }
  return GST_PAD_PROBE_OK;
}

static GstPad *
gws_webrtc_call_request_new_pad(GstElement *element, GstPadTemplate *templ,
    const gchar *name, const GstCaps *caps) {
  auto *self = GWS_WEBRTC_CALL(element);
  CallPrivate *priv = self->priv;
  bool video = g_str_has_prefix(templ->name_template, "video");
  auto in = std::make_shared<CallInput>();
  in->kind = video ? MediaKind::Video : MediaKind::Audio;
  InputSlot slot;
  {
    std::lock_guard<std::mutex> g(priv->lock);
    slot = take_input_slot(
        priv->slots, in->kind, name,
        [priv](const std::string &n) {
          for (auto &o : priv->inputs) {
            if (o->name == n)
              return true;
          }
          return false;
        },
        &in->name, &in->pts);
  }
  if (slot == InputSlot::NameTaken)
    return nullptr;
  if (slot == InputSlot::OutOfPayloadTypes) { /* posted with no lock held */
    GST_ELEMENT_WARNING(self, RESOURCE, SETTINGS,
        ("too many input streams: out of RTP payload types"), (nullptr));
    return nullptr;
  }
  std::string tee_name = "input-" + in->name;
  in->tee = gst_element_factory_make("tee", tee_name.c_str());
  if (!in->tee)
    return nullptr;
  g_object_set(in->tee, "allow-not-linked", TRUE, nullptr);
  gst_object_ref_sink(in->tee);
  gst_bin_add(GST_BIN(self), in->tee);
  gst_element_sync_state_with_parent(in->tee);
  GstPad *tee_sink = gst_element_get_static_pad(in->tee, "sink");
  gst_pad_add_probe(tee_sink, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      input_event_probe, self, nullptr);
  in->ghost
      = gst_ghost_pad_new_from_template(in->name.c_str(), tee_sink, templ);
  gst_object_unref(tee_sink);
  {
    std::lock_guard<std::mutex> g(priv->lock);
    priv->inputs.push_back(in);
  }
  if (GST_STATE(self) > GST_STATE_NULL)
    gst_pad_set_active(in->ghost, TRUE);
  gst_element_add_pad(element, in->ghost);
  GST_INFO_OBJECT(self, "new input %s", in->name.c_str());
  return in->ghost;
}

static void
gws_webrtc_call_release_pad(GstElement *element, GstPad *pad) {
  auto *self = GWS_WEBRTC_CALL(element);
  CallPrivate *priv = self->priv;
  std::shared_ptr<CallInput> in;
  {
    std::lock_guard<std::mutex> g(priv->lock);
    for (auto &o : priv->inputs) {
      if (o->ghost == pad)
        in = o;
    }
  }
  if (!in)
    return;
  auto drop = [priv, in]() {
    /* The call was negotiated with this input: it ends. */
    if (priv->call)
      priv->end_call("input " + in->name + " was removed", true, true);
    in->branches.clear();
    std::lock_guard<std::mutex> g(priv->lock);
    priv->inputs.erase(
        std::remove(priv->inputs.begin(), priv->inputs.end(), in),
        priv->inputs.end());
  };
  if (priv->loop.running())
    priv->loop.run_sync(drop);
  else
    drop();
  gst_element_remove_pad(element, pad);
  if (GST_OBJECT_PARENT(in->tee) == GST_OBJECT(self)) {
    gst_element_set_locked_state(in->tee, TRUE);
    gst_element_set_state(in->tee, GST_STATE_NULL);
    gst_bin_remove(GST_BIN(self), in->tee);
  }
}

/* ---- GstElement / GstBin ---- */

static GstStateChangeReturn
gws_webrtc_call_change_state(GstElement *element, GstStateChange transition) {
  auto *self = GWS_WEBRTC_CALL(element);
  CallPrivate *priv = self->priv;
  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY: {
      apply_ice_address_check(element, priv->lock, priv->ice);
      /* No thread runs yet: what the getter returns until it publishes. */
      priv->stats_snapshot.publish(priv->make_stats());
      priv->loop.start();
      warm_up_dtls();
      break;
    }
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      priv->stop_signaller();
      break;
    default:
      break;
  }
  GstStateChangeReturn ret
      = GST_ELEMENT_CLASS(parent_class)->change_state(element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;
  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (!priv->start_signaller())
        return GST_STATE_CHANGE_FAILURE;
      /* A call is a live source: nothing to preroll before it rings. */
      ret = GST_STATE_CHANGE_NO_PREROLL;
      break;
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      ret = GST_STATE_CHANGE_NO_PREROLL;
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      priv->loop.run_sync([priv]() { priv->teardown(); });
      break;
    case GST_STATE_CHANGE_READY_TO_NULL:
      priv->loop.stop();
      finish_dtls_warm_up();
      break;
    default:
      break;
  }
  return ret;
}

static void
gws_webrtc_call_handle_message(GstBin *bin, GstMessage *msg) {
  auto *self = GWS_WEBRTC_CALL(bin);
  CallPrivate *priv = self->priv;
  GstObject *src = GST_MESSAGE_SRC(msg);
  if ((GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ASYNC_START
          || GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ASYNC_DONE)
      && src != GST_OBJECT(self)) {
    /* A call is live: nothing inside prerolls. A decodebin added while
     * PLAYING (each received stream) posts async-start until it has
     * decoded a frame; passed on, it took the whole pipeline back to
     * PAUSED, where it now and then stayed (tests/call second-call).
     * The decodebin still commits its own state. */
    gst_message_unref(msg);
    return;
  }
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS && src != GST_OBJECT(self)) {
    /* Ours is posted when the call is over (gws-webrtc-call-session.cpp),
     * not by the network sinks inside webrtcbin. */
    gst_message_unref(msg);
    return;
  }
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR
      && webrtcbin_of(src, GST_OBJECT(self))) {
    /* One of the call's connections failed (or a closed one complains as
     * it stops): the call decides (a restart, or the call ends); the
     * element goes on. */
    GstElement *bin_of = webrtcbin_of(src, GST_OBJECT(self));
    bool ours = false;
    guint gen = 0;
    {
      std::lock_guard<std::mutex> g(priv->lock);
      auto it = priv->call_webrtcbins.find(bin_of);
      if (it != priv->call_webrtcbins.end()) {
        ours = true;
        gen = it->second;
      }
    }
    if (ours) {
      GError *err = nullptr;
      gst_message_parse_error(msg, &err, nullptr);
      std::string why = err ? err->message : "error";
      g_clear_error(&err);
      priv->loop.post([priv, gen, why]() {
        if (priv->call)
          priv->on_connection_failed(gen, why);
      });
    }
    gst_message_unref(msg);
    return;
  }
  GST_BIN_CLASS(parent_class)->handle_message(bin, msg);
}

/* ---- action signals ---- */

/* Runs @fn on the session thread (directly when already there, e.g. from
 * an incoming-call handler) and returns its answer; FALSE when stopped. */
static gboolean
on_loop(CallPrivate *priv, std::function<bool()> fn) {
  if (!priv->loop.running())
    return FALSE;
  if (priv->loop.is_current())
    return fn();
  bool ok = false;
  priv->loop.run_sync([&ok, &fn]() { ok = fn(); });
  return ok;
}

static gboolean
gws_webrtc_call_answer_call(GwsWebRTCCall *self, const gchar *session_id) {
  CallPrivate *priv = self->priv;
  std::string id = session_id ? session_id : "";
  return on_loop(priv, [priv, id]() { return priv->answer(id); });
}

static gboolean
gws_webrtc_call_refuse_call(
    GwsWebRTCCall *self, const gchar *session_id, const gchar *reason) {
  CallPrivate *priv = self->priv;
  std::string id = session_id ? session_id : "";
  std::string why = reason && *reason ? reason : "call refused";
  return on_loop(priv, [priv, id, why]() { return priv->refuse(id, why); });
}

static gboolean
gws_webrtc_call_hang_up(GwsWebRTCCall *self) {
  CallPrivate *priv = self->priv;
  return on_loop(priv, [priv]() {
    if (!priv->call)
      return false;
    priv->end_call("hung up", true, true);
    return true;
  });
}

static gboolean
gws_webrtc_call_send_data_string(GwsWebRTCCall *self, const gchar *session_id,
    const gchar *label, const gchar *text) {
  if (!text)
    return FALSE;
  GBytes *b = g_bytes_new(text, strlen(text));
  gboolean ok = self->priv->send_data(session_id, label, b, true);
  g_bytes_unref(b);
  return ok;
}

static gboolean
gws_webrtc_call_send_data_bytes(GwsWebRTCCall *self, const gchar *session_id,
    const gchar *label, GBytes *data) {
  return self->priv->send_data(session_id, label, data, false);
}

/* ---- GObject ---- */

static void
gws_webrtc_call_set_property(
    GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec) {
  CallPrivate *priv = GWS_WEBRTC_CALL(object)->priv;
  if (prop_id == PROP_DATA_CHANNELS) {
    std::vector<ChannelSpec> specs;
    std::string error;
    if (!parse_channel_specs(value, &specs, &error)) {
      /* Kept as it was: a setter cannot fail otherwise. */
      g_warning("%s: data-channels not changed: %s",
          GST_OBJECT_NAME(GST_OBJECT(object)), error.c_str());
      return;
    }
    std::lock_guard<std::mutex> g(priv->lock);
    g_value_copy(value, &priv->data_channels);
    priv->channel_specs = std::move(specs);
    return;
  }
  std::lock_guard<std::mutex> g(priv->lock);
  auto str = [value]() {
    const gchar *s = g_value_get_string(value);
    return std::string(s ? s : "");
  };
  switch (prop_id) {
    case PROP_URI:
      priv->uri = str();
      break;
    case PROP_PEER_ID:
      priv->peer_id = str();
      break;
    case PROP_CALL:
      priv->call_peer = str();
      break;
    case PROP_INCOMING_CALLS:
      priv->incoming = static_cast<GwsCallIncoming>(g_value_get_enum(value));
      break;
    case PROP_ICE_ADDRESSES:
      priv->ice.addresses = split_addresses(g_value_get_string(value));
      break;
    case PROP_PATH_TIMEOUT:
      priv->restart.path_timeout_ms = g_value_get_uint(value);
      break;
    case PROP_AUTO_RESTART:
      priv->restart.auto_restart = g_value_get_boolean(value);
      break;
    case PROP_MAX_RESTART_FAILURES:
      priv->restart.max_failures = g_value_get_uint(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
  }
}

static void
gws_webrtc_call_get_property(
    GObject *object, guint prop_id, GValue *value, GParamSpec *pspec) {
  CallPrivate *priv = GWS_WEBRTC_CALL(object)->priv;
  if (prop_id == PROP_STATS) {
    /* Never waits for the session thread (a streaming thread may ask
     * while the session thread waits for it): gws-stats-snapshot.h. */
    g_value_take_boxed(value, read_element_stats(
                                  priv->stats_snapshot, priv->loop.is_current(),
                                  [priv]() { return priv->make_stats(); },
                                  GST_BIN(priv->self), StatsDirection::Both));
    return;
  }
  std::lock_guard<std::mutex> g(priv->lock);
  switch (prop_id) {
    case PROP_URI:
      g_value_set_string(value, priv->uri.c_str());
      break;
    case PROP_PEER_ID:
      g_value_set_string(
          value, priv->peer_id.empty() ? nullptr : priv->peer_id.c_str());
      break;
    case PROP_CALL:
      g_value_set_string(
          value, priv->call_peer.empty() ? nullptr : priv->call_peer.c_str());
      break;
    case PROP_INCOMING_CALLS:
      g_value_set_enum(value, priv->incoming);
      break;
    case PROP_ICE_ADDRESSES:
      g_value_set_string(value, join_addresses(priv->ice.addresses).c_str());
      break;
    case PROP_DATA_CHANNELS:
      g_value_copy(&priv->data_channels, value);
      break;
    case PROP_PATH_TIMEOUT:
      g_value_set_uint(value, priv->restart.path_timeout_ms);
      break;
    case PROP_AUTO_RESTART:
      g_value_set_boolean(value, priv->restart.auto_restart);
      break;
    case PROP_MAX_RESTART_FAILURES:
      g_value_set_uint(value, priv->restart.max_failures);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
  }
}

static void
gws_webrtc_call_finalize(GObject *object) {
  auto *self = GWS_WEBRTC_CALL(object);
  delete self->priv;
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void
gws_webrtc_call_init(GwsWebRTCCall *self) {
  self->priv = new CallPrivate(self);
  CallPrivate *priv = self->priv;
  g_value_init(&priv->data_channels, GST_TYPE_ARRAY);
  priv->loop.set_after_work(
      [priv]() { priv->stats_snapshot.publish(priv->make_stats()); });
  /* Its EOS says the call (or what it sends) is over. */
  GST_OBJECT_FLAG_SET(self, GST_ELEMENT_FLAG_SINK);
  /* Opus decoders inside the decodebins use the sender's in-band FEC. */
  g_signal_connect(self, "deep-element-added",
      G_CALLBACK(+[](GstBin *, GstBin *, GstElement *element, gpointer) {
        loss_recovery_tune_decoder(element);
      }),
      nullptr);
}

static void
gws_webrtc_call_class_init(GwsWebRTCCallClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstBinClass *bin_class = GST_BIN_CLASS(klass);
  GST_DEBUG_CATEGORY_INIT(
      gws_webrtc_call_debug, "webrtccall", 0, "WebRTC two-way call bin");
  /* ConsumerSession and the encoder branches log under webrtcsink's
   * category, made in its class_init. */
  g_type_class_unref(g_type_class_ref(GWS_TYPE_WEBRTC_SINK));

  gobject_class->set_property = gws_webrtc_call_set_property;
  gobject_class->get_property = gws_webrtc_call_get_property;
  gobject_class->finalize = gws_webrtc_call_finalize;
  element_class->change_state = gws_webrtc_call_change_state;
  element_class->request_new_pad = gws_webrtc_call_request_new_pad;
  element_class->release_pad = gws_webrtc_call_release_pad;
  bin_class->handle_message = gws_webrtc_call_handle_message;

  auto flags = static_cast<GParamFlags>(
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  g_object_class_install_property(gobject_class, PROP_URI,
      g_param_spec_string("uri", "Relay URI",
          "The relay both sides of the call use: ws://, wss://, "
          "poll+http:// or poll+https:// (HOST:PORT, ?token= if the relay "
          "wants one)",
          "ws://127.0.0.1:8443", flags));
  g_object_class_install_property(gobject_class, PROP_PEER_ID,
      g_param_spec_string("peer-id", "Peer id",
          "Our id at the relay, the call token others call us by (1-128 of "
          "letters, digits and - _ . ~ : @); unset: a random one (we can "
          "then only place calls)",
          nullptr, flags));
  g_object_class_install_property(gobject_class, PROP_CALL,
      g_param_spec_string("call", "Call",
          "The peer id to call when the element starts; unset: wait for "
          "calls under peer-id. A caller's pipeline gets EOS when its call "
          "ends",
          nullptr, flags));
  g_object_class_install_property(gobject_class, PROP_INCOMING_CALLS,
      g_param_spec_enum("incoming-calls", "Incoming calls",
          "What to do when a call arrives (one call at a time: a call during "
          "a call is refused as busy)",
          GWS_TYPE_CALL_INCOMING, GWS_CALL_INCOMING_ACCEPT,
          static_cast<GParamFlags>(
              G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)));
  g_object_class_install_property(gobject_class, PROP_ICE_ADDRESSES,
      g_param_spec_string("ice-addresses", "ICE addresses",
          "Comma-separated local addresses ICE may use (e.g. 127.0.0.1); "
          "empty: every interface",
          "", flags));
  g_object_class_install_property(gobject_class, PROP_STATS,
      g_param_spec_boxed("stats", "Statistics",
          "webrtccall-stats: calls (so far), in-call, and sessions (the "
          "call, when there is one: id, peer-id, outgoing, answered, "
          "codecs, connection, last-packet-ms, packets-received, what was "
          "sent and received with its losses and recoveries, and the "
          "selected candidate pair; fields as in webrtcsink's and "
          "webrtcsrc's stats). Reading never waits for the call's thread",
          GST_TYPE_STRUCTURE,
          static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  g_object_class_install_property(gobject_class, PROP_DATA_CHANNELS,
      gst_param_spec_array("data-channels", "Data channels",
          "Data channels to open on every call, e.g. "
          "<\"chat\", \"telemetry,ordered=false,max-retransmits=0\">: each "
          "a label, or a label with options ordered (boolean, default true), "
          "max-retransmits or max-packet-lifetime (ms; either makes it "
          "unreliable), protocol (string). The callee's offer carries the "
          "data section: a call has data channels when the callee lists at "
          "least one; the channels the other side opens are taken too. Send "
          "with the send-data-string / send-data-bytes action signals, "
          "receive with data-received",
          g_param_spec_string("channel", "Channel",
              "A label, or label,option=value,...", nullptr,
              static_cast<GParamFlags>(
                  G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)),
          flags));

  restart_install_properties(gobject_class, PROP_PATH_TIMEOUT,
      PROP_AUTO_RESTART, PROP_MAX_RESTART_FAILURES);

  /**
   * GwsWebRTCCall::path-lost:
   * @call: the element
   * @session_id: the call's session id
   * @silence_ms: how long nothing has arrived from the other side
   *
   * The call's network path is lost (also posted as a `gws-path-lost`
   * element message). With auto-restart a restart follows.
   */
  gws_webrtc_call_signals[CALL_SIGNAL_PATH_LOST] = g_signal_new("path-lost",
      G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
      G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_UINT64);

  /**
   * GwsWebRTCCall::incoming-call:
   * @call: the element
   * @session_id: the call's session id
   * @peer_id: who calls
   *
   * A call arrives (session thread). With incoming-calls=ask, answer it
   * with "answer-call" or refuse it with "refuse-call", here or later.
   */
  gws_webrtc_call_signals[CALL_SIGNAL_INCOMING_CALL] = g_signal_new(
      "incoming-call", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, nullptr,
      nullptr, nullptr, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GwsWebRTCCall::answer-call:
   * @call: the element
   * @session_id: (nullable): the ringing call, NULL: whichever rings
   *
   * Answers a ringing incoming call. Returns: whether one was answered.
   */
  gws_webrtc_call_signals[CALL_SIGNAL_ANSWER_CALL]
      = g_signal_new_class_handler("answer-call", G_TYPE_FROM_CLASS(klass),
          static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
          G_CALLBACK(gws_webrtc_call_answer_call), nullptr, nullptr, nullptr,
          G_TYPE_BOOLEAN, 1, G_TYPE_STRING);
  /**
   * GwsWebRTCCall::refuse-call:
   * @call: the element
   * @session_id: (nullable): the ringing call, NULL: whichever rings
   * @reason: (nullable): what the caller is told (default "call refused")
   *
   * Refuses a ringing incoming call. Returns: whether one was refused.
   */
  gws_webrtc_call_signals[CALL_SIGNAL_REFUSE_CALL]
      = g_signal_new_class_handler("refuse-call", G_TYPE_FROM_CLASS(klass),
          static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
          G_CALLBACK(gws_webrtc_call_refuse_call), nullptr, nullptr, nullptr,
          G_TYPE_BOOLEAN, 2, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GwsWebRTCCall::hang-up:
   * @call: the element
   *
   * Ends the call (ringing or running); the other side is told.
   * Returns: whether there was a call.
   */
  gws_webrtc_call_signals[CALL_SIGNAL_HANG_UP]
      = g_signal_new_class_handler("hang-up", G_TYPE_FROM_CLASS(klass),
          static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
          G_CALLBACK(gws_webrtc_call_hang_up), nullptr, nullptr, nullptr,
          G_TYPE_BOOLEAN, 0);
  /**
   * GwsWebRTCCall::send-data-string:
   * @call: the element
   * @session_id: (nullable): the call's session id, or NULL for the call
   * @label: the data channel's label
   * @text: the message
   *
   * Sends a text message on data channel @label of the call. Queued until
   * the channel is open (and, during a restart, until it is open on the
   * new connection); sent once.
   *
   * Returns: TRUE if there is a (matching) call with a connection.
   */
  gws_webrtc_call_signals[CALL_SIGNAL_SEND_DATA_STRING]
      = g_signal_new_class_handler("send-data-string", G_TYPE_FROM_CLASS(klass),
          static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
          G_CALLBACK(gws_webrtc_call_send_data_string), nullptr, nullptr,
          nullptr, G_TYPE_BOOLEAN, 3, G_TYPE_STRING, G_TYPE_STRING,
          G_TYPE_STRING);
  /**
   * GwsWebRTCCall::send-data-bytes:
   * @call: the element
   * @session_id: (nullable): the call's session id, or NULL for the call
   * @label: the data channel's label
   * @data: the message
   *
   * As send-data-string, for a binary message.
   *
   * Returns: TRUE if there is a (matching) call with a connection.
   */
  gws_webrtc_call_signals[CALL_SIGNAL_SEND_DATA_BYTES]
      = g_signal_new_class_handler("send-data-bytes", G_TYPE_FROM_CLASS(klass),
          static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
          G_CALLBACK(gws_webrtc_call_send_data_bytes), nullptr, nullptr,
          nullptr, G_TYPE_BOOLEAN, 3, G_TYPE_STRING, G_TYPE_STRING,
          G_TYPE_BYTES);
  /**
   * GwsWebRTCCall::data-received:
   * @call: the element
   * @session_id: the call's session id
   * @label: the data channel's label
   * @data: the message
   * @is_text: TRUE for a text message (UTF-8 in @data)
   *
   * A message arrived on a data channel of the call. Emitted on the
   * element's session thread: a handler may call send-data-* at once.
   */
  gws_webrtc_call_signals[CALL_SIGNAL_DATA_RECEIVED]
      = g_signal_new("data-received", G_TYPE_FROM_CLASS(klass),
          G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr, G_TYPE_NONE, 4,
          G_TYPE_STRING, G_TYPE_STRING, G_TYPE_BYTES, G_TYPE_BOOLEAN);

  gst_element_class_add_static_pad_template(
      element_class, &video_sink_template);
  gst_element_class_add_static_pad_template(
      element_class, &audio_sink_template);
  gst_element_class_add_static_pad_template(element_class, &video_src_template);
  gst_element_class_add_static_pad_template(element_class, &audio_src_template);
  gst_element_class_set_static_metadata(element_class, "WebRTC call",
      "Source/Sink/Network/WebRTC",
      "A two-way WebRTC call through the relay: one peer connection sends "
      "what reaches the sink pads and exposes what the other side sends",
      "gst-webrtc-session");
  gst_type_mark_as_plugin_api(GWS_TYPE_CALL_INCOMING, (GstPluginAPIFlags)0);
}
