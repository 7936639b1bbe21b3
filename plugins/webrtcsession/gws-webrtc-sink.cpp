/* gst-webrtc-session: webrtcsink (see gws-webrtc-sink.h). */

/**
 * SECTION:element-webrtcsink
 * @title: webrtcsink
 *
 * A WebRTC producer. Request pads `video_%u` and `audio_%u` take raw or
 * pre-encoded (H264, VP8, VP9, Opus) streams; every consumer that asks the
 * signaller for a session gets its own webrtcbin. Raw input is encoded once
 * per codec (VP8, H264, VP9, Opus, chosen by encoder rank or by
 * `video-codecs` / `audio-codecs`) and shared by all consumers that
 * negotiated that codec; pre-encoded input is sent as it is.
 *
 * ## Examples
 *
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! webrtcsink
 * uri=ws://127.0.0.1:8443/?peer-id=cam1
 * ]| Publishes a test pattern as producer `cam1` through the relay on
 * 127.0.0.1:8443. Consumers get VP8 if they can decode it, else H264 or VP9.
 *
 * |[
 * gst-launch-1.0 webrtcsink name=ws uri=ws://relay.lan:8443/?peer-id=studio
 * video-codecs="<H264>" \
 *     videotestsrc is-live=true ! ws.video_0 \
 *     audiotestsrc is-live=true ! ws.audio_0
 * ]| Publishes video (H264 only) and an Opus tone.
 *
 * |[
 * gst-launch-1.0 v4l2src ! videoconvert ! x264enc tune=zerolatency
 * speed-preset=ultrafast key-int-max=60 \ !
 * video/x-h264,profile=constrained-baseline ! webrtcsink
 * uri=ws://127.0.0.1:8443/?peer-id=cam1
 * ]| Sends a camera's pre-encoded H264 without re-encoding it. Key frame
 * requests from viewers reach x264enc (at most one per 500 ms).
 *
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! webrtcsink uri=ws://127.0.0.1:8443
 * ice-addresses=127.0.0.1
 * ]| Restricts ICE to loopback (libnice ignores loopback unless told), as
 * the tests do in a private network namespace.
 *
 * |[
 * gst-launch-1.0 videotestsrc ! webrtcsink run-relay=true
 * meta="meta,name=Kitchen"
 * ]| One line to a browser: starts the relay and its web page inside this
 * process (relay-address, relay-port, web-root) and prints the address to
 * open (http://127.0.0.1:8443/); the page lists the producer as "Kitchen".
 *
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! webrtcsink
 * video-encoders="<nvv4l2h264enc,x264enc>" video-codecs="<H264>"
 * ]| Uses the Jetson's hardware encoder when it is there, x264enc
 * otherwise; an encoder-setup handler can tune either.
 *
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! "whep-server://0.0.0.0:8081/whep"
 * ]| A URI as the sink element: webrtcsink is a URI handler for ws, wss,
 * whip+http, whip+https and whep-server.
 */

#include "gws-webrtc-sink.h"

#include "gws-webrtc-sink-private.h"
#include "gws-candidate-stats.h"

#include "gws-caps-watch.h"
#include "gws-input-pacer.h"
#include "gws-uri-handler.h"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY(gws_webrtc_sink_debug);
#define GST_CAT_DEFAULT gws_webrtc_sink_debug

using namespace gws;

guint gws_webrtc_sink_signals[N_SIGNALS];

static GstStaticPadTemplate video_template
    = GST_STATIC_PAD_TEMPLATE("video_%u", GST_PAD_SINK, GST_PAD_REQUEST,
        /* I420 first: what every encoder here takes, so a source that can
         * produce anything (videotestsrc) is not left to pick its first
         * format (ABGR64) and pay a costly conversion per frame. */
        GST_STATIC_CAPS("video/x-raw, format=(string)I420; video/x-raw; "
                        "video/x-vp8; video/x-vp9; "
                        "video/x-h264, stream-format=(string){ avc, avc3, "
                        "byte-stream }, alignment=(string){ au, nal }"));

static GstStaticPadTemplate audio_template
    = GST_STATIC_PAD_TEMPLATE("audio_%u", GST_PAD_SINK, GST_PAD_REQUEST,
        GST_STATIC_CAPS("audio/x-raw; audio/x-opus"));

struct _GwsWebRTCSink {
  GstBin parent;
  SinkPrivate *priv;
};

static SinkPrivate *
PRIV(GwsWebRTCSink *self) {
  return self->priv;
}

#define gws_webrtc_sink_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE(GwsWebRTCSink, gws_webrtc_sink, GST_TYPE_BIN,
    G_IMPLEMENT_INTERFACE(GST_TYPE_CHILD_PROXY, signaller_child_proxy_init)
        G_IMPLEMENT_INTERFACE(GST_TYPE_URI_HANDLER, uri_handler_init_sink));
GST_ELEMENT_REGISTER_DEFINE(
    webrtcsink, "webrtcsink", GST_RANK_NONE, GWS_TYPE_WEBRTC_SINK);

/* ---- pads ---- */

static GstPadProbeReturn
input_event_probe(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
  auto *self = GWS_WEBRTC_SINK(data);
  SinkPrivate *priv = PRIV(self);
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(event) == GST_EVENT_CAPS) {
    GstCaps *caps = nullptr;
    gst_event_parse_caps(event, &caps);
    GstCaps *old_caps = nullptr;
    std::string name;
    {
      std::lock_guard<std::mutex> g(priv->lock);
      for (auto &s : priv->streams) {
        if (s->tee == GST_PAD_PARENT(pad)) {
          name = s->name;
          gst_caps_replace(&old_caps, s->caps);
          gst_caps_replace(&s->caps, caps);
          GST_DEBUG_OBJECT(
              self, "%s caps %" GST_PTR_FORMAT, s->name.c_str(), caps);
        }
      }
    }
    if (!name.empty())
      check_input_caps(GST_ELEMENT(self), name, old_caps, caps);
    if (old_caps)
      gst_caps_unref(old_caps);
    priv->loop.post([priv]() {
      priv->process_pending();
      priv->renegotiate_inputs();
    });
  } else if (GST_EVENT_TYPE(event) == GST_EVENT_EOS) {
    bool all = true;
    {
      std::lock_guard<std::mutex> g(priv->lock);
      for (auto &s : priv->streams) {
        if (s->tee == GST_PAD_PARENT(pad))
          s->eos = true;
        all = all && s->eos;
      }
    }
    if (all) {
      GST_INFO_OBJECT(self, "every input is at EOS");
      gst_element_post_message(
          GST_ELEMENT(self), gst_message_new_eos(GST_OBJECT(self)));
    }
  } else if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP) {
    std::lock_guard<std::mutex> g(priv->lock);
    for (auto &s : priv->streams) {
      if (s->tee == GST_PAD_PARENT(pad))
        s->eos = false;
    }
  }
  return GST_PAD_PROBE_OK;
}

static GstPad *
gws_webrtc_sink_request_new_pad(GstElement *element, GstPadTemplate *templ,
    const gchar *name, const GstCaps *caps) {
  auto *self = GWS_WEBRTC_SINK(element);
  SinkPrivate *priv = PRIV(self);
  bool video = g_str_has_prefix(templ->name_template, "video");
  auto s = std::make_shared<InputStream>();
  s->kind = video ? MediaKind::Video : MediaKind::Audio;
  InputSlot slot;
  {
    std::lock_guard<std::mutex> g(priv->lock);
    slot = take_input_slot(
        priv->slots, s->kind, name,
        [priv](const std::string &n) {
          for (auto &o : priv->streams) {
            if (o->name == n)
              return true;
          }
          return false;
        },
        &s->name, &s->pts);
  }
  if (slot == InputSlot::NameTaken)
    return nullptr;
  if (slot == InputSlot::OutOfPayloadTypes) { /* posted with no lock held */
    GST_ELEMENT_WARNING(self, RESOURCE, SETTINGS,
        ("too many input streams: out of RTP payload types"), (nullptr));
    return nullptr;
  }
  std::string tee_name = "input-" + s->name;
  s->tee = gst_element_factory_make("tee", tee_name.c_str());
  if (!s->tee)
    return nullptr;
  g_object_set(s->tee, "allow-not-linked", TRUE, nullptr);
  gst_object_ref_sink(s->tee);
  gst_bin_add(GST_BIN(self), s->tee);
  gst_element_sync_state_with_parent(s->tee);
  GstPad *tee_sink = gst_element_get_static_pad(s->tee, "sink");
  gst_pad_add_probe(tee_sink, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      input_event_probe, self, nullptr);
  gst_object_unref(tee_sink);
  s->pacer = make_input_pacer(element, s->name);
  if (!s->pacer)
    return nullptr;
  gst_object_ref_sink(s->pacer);
  gst_bin_add(GST_BIN(self), s->pacer);
  gst_element_link(s->pacer, s->tee);
  gst_element_sync_state_with_parent(s->pacer);
  GstPad *pacer_sink = gst_element_get_static_pad(s->pacer, "sink");
  s->ghost
      = gst_ghost_pad_new_from_template(s->name.c_str(), pacer_sink, templ);
  gst_object_unref(pacer_sink);
  {
    std::lock_guard<std::mutex> g(priv->lock);
    priv->streams.push_back(s);
  }
  if (GST_STATE(self) > GST_STATE_NULL)
    gst_pad_set_active(s->ghost, TRUE);
  gst_element_add_pad(element, s->ghost);
  GST_INFO_OBJECT(self, "new input %s", s->name.c_str());
  return s->ghost;
}

static void
gws_webrtc_sink_release_pad(GstElement *element, GstPad *pad) {
  auto *self = GWS_WEBRTC_SINK(element);
  SinkPrivate *priv = PRIV(self);
  std::shared_ptr<InputStream> s;
  {
    std::lock_guard<std::mutex> g(priv->lock);
    for (auto it = priv->streams.begin(); it != priv->streams.end(); ++it) {
      if ((*it)->ghost == pad) {
        s = *it;
        break;
      }
    }
  }
  if (!s)
    return;
  /* The running sessions renegotiate without this stream
   * (gws-webrtc-sink-renegotiate.cpp). */
  priv->loop.run_sync([priv, s]() { priv->remove_input(s); });
  gst_element_remove_pad(element, pad);
  /* When the bin is disposed, its children are gone before request pads
   * are released. */
  for (GstElement *e : {s->pacer, s->tee}) {
    if (e && GST_OBJECT_PARENT(e) == GST_OBJECT(self)) {
      gst_element_set_locked_state(e, TRUE);
      gst_element_set_state(e, GST_STATE_NULL);
      gst_bin_remove(GST_BIN(self), e);
    }
  }
}

/* ---- GstElement / GstBin ---- */

static GstStateChangeReturn
gws_webrtc_sink_change_state(GstElement *element, GstStateChange transition) {
  auto *self = GWS_WEBRTC_SINK(element);
  SinkPrivate *priv = PRIV(self);

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY: {
      std::string missing = priv->missing_signaller_reason();
      if (!missing.empty()) {
        GST_ELEMENT_ERROR(
            self, RESOURCE, SETTINGS, ("%s", missing.c_str()), (nullptr));
        return GST_STATE_CHANGE_FAILURE;
      }
      std::string bad_cert = priv->certificate_error();
      if (!bad_cert.empty()) {
        GST_ELEMENT_ERROR(
            self, RESOURCE, SETTINGS, ("%s", bad_cert.c_str()), (nullptr));
        return GST_STATE_CHANGE_FAILURE;
      }
      if (!priv->start_relay())
        return GST_STATE_CHANGE_FAILURE;
      priv->apply_meta();
      /* No thread runs yet: what the getter returns until the session
       * thread publishes. */
      priv->stats_snapshot.publish(priv->make_stats());
      priv->check_ice_addresses(element);
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
      priv->start_signaller();
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      /* Only now: the bin has taken its children to READY sinks first, so
       * no consumer webrtcbin is left blocked waiting for preroll while
       * holding the stream lock its queue's task needs. Stopping those
       * queues before that deadlocked the state change. */
      priv->loop.run_sync([priv]() { priv->teardown(); });
      break;
    case GST_STATE_CHANGE_READY_TO_NULL:
      priv->loop.stop();
      priv->latency.reset();
      finish_dtls_warm_up();
      priv->stop_relay();
      break;
    default:
      break;
  }
  return ret;
}

static void
gws_webrtc_sink_handle_message(GstBin *bin, GstMessage *msg) {
  auto *self = GWS_WEBRTC_SINK(bin);
  SinkPrivate *priv = PRIV(self);
  GstObject *src = GST_MESSAGE_SRC(msg);

  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS && src != GST_OBJECT(self)) {
    /* Our EOS is posted when every input is at EOS, not by the network
     * sinks inside the consumers' webrtcbins. */
    gst_message_unref(msg);
    return;
  }
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_LATENCY && src != GST_OBJECT(self)) {
    /* Each consumer's sinks post one: passed up coalesced, so the
     * application does not recalculate the whole pipeline's latency
     * several times per consumer joining. */
    priv->latency.changed();
    gst_message_unref(msg);
    return;
  }
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    std::pair<std::string, guint> conn;
    {
      std::lock_guard<std::mutex> g(priv->lock);
      for (auto &kv : priv->webrtcbins) {
        if (src == GST_OBJECT(kv.first)
            || gst_object_has_as_ancestor(src, GST_OBJECT(kv.first))) {
          conn = kv.second;
          break;
        }
      }
    }
    if (!conn.first.empty()) {
      /* One consumer's failure ends (or restarts) that session only. */
      GError *err = nullptr;
      gst_message_parse_error(msg, &err, nullptr);
      priv->fail_connection(
          conn.first, conn.second, err ? err->message : "error");
      g_clear_error(&err);
      gst_message_unref(msg);
      return;
    }
    if (priv->rendition_failed(src)) {
      /* A lower rendition's encoder (made for viewers on poor links):
       * the viewers go back to the top rendition, the element goes on. */
      GError *err = nullptr;
      gst_message_parse_error(msg, &err, nullptr);
      GST_ELEMENT_WARNING(self, STREAM, ENCODE,
          ("a lower rendition of %s failed (%s): its viewers get the full "
           "rendition, no more renditions for this input",
              GST_OBJECT_NAME(src), err ? err->message : "error"),
          (nullptr));
      g_clear_error(&err);
      gst_message_unref(msg);
      return;
    }
    if (webrtcbin_of(src, GST_OBJECT(self))) {
      /* A connection being closed (its SCTP association is aborted as its
       * webrtcbin stops): nobody's failure. */
      GST_DEBUG_OBJECT(
          self, "error from a closed connection: %" GST_PTR_FORMAT, msg);
      gst_message_unref(msg);
      return;
    }
  }
  GST_BIN_CLASS(parent_class)->handle_message(bin, msg);
}

/* ---- GObject ---- */

static void
gws_webrtc_sink_set_property(
    GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec) {
  SinkPrivate *priv = PRIV(GWS_WEBRTC_SINK(object));
  if (prop_id == PROP_ENABLE_CONTROL_CHANNEL) {
    std::lock_guard<std::mutex> g(priv->lock);
    priv->enable_control = g_value_get_boolean(value);
    return;
  }
  if (prop_id == PROP_VIDEO_ENCODERS) {
    std::vector<std::string> names;
    for (guint i = 0; i < gst_value_array_get_size(value); i++) {
      const GValue *v = gst_value_array_get_value(value, i);
      if (G_VALUE_HOLDS_STRING(v) && g_value_get_string(v))
        names.push_back(g_value_get_string(v));
    }
    for (const auto &n : names) {
      g_autoptr(GstElementFactory) f = gst_element_factory_find(n.c_str());
      if (!f)
        GST_WARNING_OBJECT(object,
            "video-encoders: %s is not installed; the next one is tried",
            n.c_str());
    }
    std::lock_guard<std::mutex> g(priv->lock);
    priv->video_encoders = std::move(names);
    return;
  }
  switch (prop_id) {
    case PROP_RUN_RELAY: {
      std::lock_guard<std::mutex> g(priv->lock);
      priv->run_relay = g_value_get_boolean(value);
      return;
    }
    case PROP_RELAY_ADDRESS: {
      const char *a = g_value_get_string(value);
      std::lock_guard<std::mutex> g(priv->lock);
      priv->relay_config.address = a ? a : "127.0.0.1";
      return;
    }
    case PROP_RELAY_PORT: {
      std::lock_guard<std::mutex> g(priv->lock);
      priv->relay_config.port = static_cast<guint16>(g_value_get_uint(value));
      return;
    }
    case PROP_WEB_ROOT: {
      const char *w = g_value_get_string(value);
      std::lock_guard<std::mutex> g(priv->lock);
      priv->relay_config.web_root = w ? w : EmbeddedRelay::default_web_root();
      return;
    }
    case PROP_META: {
      const GstStructure *m
          = static_cast<const GstStructure *>(g_value_get_boxed(value));
      GstStructure *old;
      {
        std::lock_guard<std::mutex> g(priv->lock);
        old = priv->meta;
        priv->meta = m ? gst_structure_copy(m) : nullptr;
      }
      if (old)
        gst_structure_free(old);
      return;
    }
    default:
      break;
  }
  if (priv->set_common(object, prop_id, value))
    return;
  std::lock_guard<std::mutex> g(priv->lock);
  if (!congestion_set_property(
          priv->congestion, PROP_CONGESTION_FIRST, prop_id, value))
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
}

/* Never waits for the session thread (a streaming thread may call it while
 * the session thread waits for that thread): the snapshot it published,
 * or a fresh one on the session thread itself and before the first start
 * (gws-stats-snapshot.h). */
static GstStructure *
read_stats(SinkPrivate *priv) {
  return read_element_stats(
      priv->stats_snapshot, priv->loop.is_current(),
      [priv]() { return priv->make_stats(); }, GST_BIN(priv->self),
      StatsDirection::Sending);
}

static void
gws_webrtc_sink_get_property(
    GObject *object, guint prop_id, GValue *value, GParamSpec *pspec) {
  SinkPrivate *priv = PRIV(GWS_WEBRTC_SINK(object));
  if (prop_id == PROP_STATS) {
    g_value_take_boxed(value, read_stats(priv));
    return;
  }
  if (prop_id == PROP_ENABLE_CONTROL_CHANNEL) {
    std::lock_guard<std::mutex> g(priv->lock);
    g_value_set_boolean(value, priv->enable_control);
    return;
  }
  switch (prop_id) {
    case PROP_RUN_RELAY: {
      std::lock_guard<std::mutex> g(priv->lock);
      g_value_set_boolean(value, priv->run_relay);
      return;
    }
    case PROP_RELAY_ADDRESS: {
      std::lock_guard<std::mutex> g(priv->lock);
      g_value_set_string(value, priv->relay_config.address.c_str());
      return;
    }
    case PROP_RELAY_PORT: {
      std::lock_guard<std::mutex> g(priv->lock);
      g_value_set_uint(value, priv->relay_config.port);
      return;
    }
    case PROP_WEB_ROOT: {
      std::lock_guard<std::mutex> g(priv->lock);
      g_value_set_string(value, priv->relay_config.web_root.empty()
                                    ? nullptr
                                    : priv->relay_config.web_root.c_str());
      return;
    }
    case PROP_META: {
      std::lock_guard<std::mutex> g(priv->lock);
      g_value_set_boxed(value, priv->meta);
      return;
    }
    default:
      break;
  }
  if (prop_id == PROP_VIDEO_ENCODERS) {
    std::lock_guard<std::mutex> g(priv->lock);
    for (const auto &n : priv->video_encoders) {
      GValue v = G_VALUE_INIT;
      g_value_init(&v, G_TYPE_STRING);
      g_value_set_string(&v, n.c_str());
      gst_value_array_append_and_take_value(value, &v);
    }
    return;
  }
  if (priv->get_common(prop_id, value))
    return;
  std::lock_guard<std::mutex> g(priv->lock);
  if (!congestion_get_property(
          priv->congestion, PROP_CONGESTION_FIRST, prop_id, value))
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
}

static void
gws_webrtc_sink_finalize(GObject *object) {
  auto *self = GWS_WEBRTC_SINK(object);
  if (self->priv->meta)
    gst_structure_free(self->priv->meta);
  delete self->priv;
  self->priv = nullptr;
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void
gws_webrtc_sink_init(GwsWebRTCSink *self) {
  self->priv = new SinkPrivate(self);
  SinkPrivate *priv = self->priv;
  priv->loop.set_after_work(
      [priv]() { priv->stats_snapshot.publish(priv->make_stats()); });
  GST_OBJECT_FLAG_SET(self, GST_ELEMENT_FLAG_SINK);
}

static gboolean
gws_webrtc_sink_restart_session(GwsWebRTCSink *self, const gchar *session_id) {
  SinkPrivate *priv = PRIV(self);
  std::string only = session_id ? session_id : "";
  return gws::run_on_session_thread(
      priv->loop, priv->stats_snapshot, session_id, [priv, only]() {
        std::vector<std::string> ids;
        for (auto &kv : priv->sessions) {
          if (only.empty() || kv.first == only)
            ids.push_back(kv.first);
        }
        bool any = false;
        for (const auto &id : ids)
          any |= priv->start_restart(id, "requested");
        return any;
      });
}

/* The ids of the sessions: on the session thread from its own state,
 * elsewhere from the last published stats (never waits for it). */
static gchar **
gws_webrtc_sink_get_sessions(GwsWebRTCSink *self) {
  SinkPrivate *priv = PRIV(self);
  GStrvBuilder *b = g_strv_builder_new();
  if (priv->loop.is_current()) {
    for (const auto &kv : priv->sessions)
      g_strv_builder_add(b, kv.first.c_str());
  } else {
    for (const auto &id : priv->stats_snapshot.session_ids())
      g_strv_builder_add(b, id.c_str());
  }
  gchar **out = g_strv_builder_end(b);
  g_strv_builder_unref(b);
  return out;
}

static gboolean
gws_webrtc_sink_send_data_string(GwsWebRTCSink *self, const gchar *session_id,
    const gchar *label, const gchar *text) {
  if (!text)
    return FALSE;
  GBytes *b = g_bytes_new(text, strlen(text));
  gboolean ok = PRIV(self)->send_data(session_id, label, b, true);
  g_bytes_unref(b);
  return ok;
}

static gboolean
gws_webrtc_sink_send_data_bytes(GwsWebRTCSink *self, const gchar *session_id,
    const gchar *label, GBytes *data) {
  return PRIV(self)->send_data(session_id, label, data, false);
}

static void
gws_webrtc_sink_class_init(GwsWebRTCSinkClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstBinClass *bin_class = GST_BIN_CLASS(klass);
  gobject_class->set_property = gws_webrtc_sink_set_property;
  gobject_class->get_property = gws_webrtc_sink_get_property;
  gobject_class->finalize = gws_webrtc_sink_finalize;

  install_common_properties(gobject_class,
      {
          /* uri */
          "Where to publish; the scheme picks the signaller. ws:// or wss:// "
          "use our relay: ?peer-id=NAME claims the producer id NAME, "
          "?token=T for a relay started with --token (e.g. "
          "ws://127.0.0.1:8443/?peer-id=cam1); poll+http(s)://HOST:PORT/ "
          "the same over HTTP long-poll, where proxies block WebSocket; "
          "whip+http(s)://HOST/PATH "
          "publishes to a WHIP endpoint; whep-server://ADDRESS:PORT/PATH "
          "serves WHEP viewers. Setting it replaces the signaller, so set it "
          "before any signaller::property",
          /* signaller */
          "The object implementing GwsSignaller that finds consumers and "
          "carries SDP and ICE (made from uri unless set; its properties are "
          "reachable as signaller::NAME)",
          /* video-codecs */
          "Video codecs to offer for raw input, in order of preference, "
          "e.g. \"<H264,VP8>\" (VP8, H264, VP9). Empty: every codec with an "
          "installed encoder, best encoder rank first (VP8, H264, VP9 on a "
          "stock install). Pre-encoded input is sent only if its codec is "
          "listed or the list is empty",
          /* audio-codecs */
          "Audio codecs to offer for raw input, in order of preference, "
          "e.g. \"<OPUS>\". Empty: every codec with an installed encoder",
          /* stats */
          "consumers (uint), encoders (uint: running encoders), branches "
          "(list: stream, codec, encoder, consumers, key frame requests "
          "forwarded/dropped), sessions (list: id, peer-id, codecs, "
          "connection (0, then +1 per restart), restarts, path-state (ok, "
          "lost, restarting), last-packet-ms, packets-received; with "
          "congestion control: estimate-bps, received-bps, loss-fraction, "
          "rtt-ms, target-bps (the rate of the video encoder serving it), "
          "twcc-feedback-reports, twcc-feedback-packets, overuses); each "
          "branch also has bitrate (its encoder's current rate)",
      });
  congestion_install_properties(gobject_class, PROP_CONGESTION_FIRST);

  /**
   * GwsWebRTCSink:video-encoders:
   *
   * Encoder factories to use before any other, in order.
   */
  g_object_class_install_property(gobject_class, PROP_VIDEO_ENCODERS,
      gst_param_spec_array("video-encoders", "Video encoders",
          "Encoder factories to prefer, in order, over webrtcsink's own "
          "choice, e.g. \"<nvv4l2h264enc,x264enc>\": the first installed one "
          "that makes the negotiated codec is used. Empty: a known hardware "
          "encoder if there is one (even at rank none, like the VA ones), "
          "else the highest-ranked encoder. Known encoders get known-good "
          "real-time settings (docs/elements.md \"Codecs and encoders\"); tune "
          "any "
          "further in encoder-setup",
          g_param_spec_string("encoder", "Encoder", "An encoder factory name",
              nullptr,
              static_cast<GParamFlags>(
                  G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)),
          static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
                                   | GST_PARAM_MUTABLE_READY)));

  auto rw_ready = static_cast<GParamFlags>(
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  g_object_class_install_property(gobject_class, PROP_RUN_RELAY,
      g_param_spec_boolean("run-relay", "Run a relay",
          "Start a signalling relay and its web page inside this process "
          "(relay-address, relay-port, web-root) and publish through it; "
          "the page's address is printed and posted as the element message "
          "gws-relay-started (url, page). For a one-line demo: "
          "gst-launch-1.0 videotestsrc ! webrtcsink run-relay=true",
          FALSE, rw_ready));
  g_object_class_install_property(gobject_class, PROP_RELAY_ADDRESS,
      g_param_spec_string("relay-address", "Relay address",
          "Address the run-relay relay listens on (0.0.0.0: every "
          "interface, for browsers on other machines)",
          "127.0.0.1", rw_ready));
  g_object_class_install_property(gobject_class, PROP_RELAY_PORT,
      g_param_spec_uint("relay-port", "Relay port",
          "TCP port of the run-relay relay and page (0: any free port, "
          "printed)",
          0, 65535, 8443, rw_ready));
  g_object_class_install_property(gobject_class, PROP_WEB_ROOT,
      g_param_spec_string("web-root", "Web root",
          "Directory of the page the run-relay relay serves (unset: the "
          "installed page, else this source tree's signaling/web, whichever "
          "exists; empty: no page)",
          nullptr,
          static_cast<GParamFlags>(
              G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property(gobject_class, PROP_META,
      g_param_spec_boxed("meta", "Meta",
          "Sent as this producer's meta (signaller::meta of ws://), e.g. "
          "\"meta,name=Kitchen\": the web page lists the producer by its "
          "name",
          GST_TYPE_STRUCTURE, rw_ready));

  /**
   * GwsWebRTCSink::consumer-added:
   * @peer_id: the consumer's peer id
   * @session_id: the session id
   * @webrtcbin: the consumer's webrtcbin
   *
   * A consumer asked for a session; its webrtcbin exists and has not
   * negotiated yet, so a handler may still configure it. Emitted on the
   * element's session thread. A session restart makes a new webrtcbin
   * without this signal.
   */
  gws_webrtc_sink_signals[SIGNAL_CONSUMER_ADDED]
      = g_signal_new("consumer-added", G_TYPE_FROM_CLASS(klass),
          G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr, G_TYPE_NONE, 3,
          G_TYPE_STRING, G_TYPE_STRING, GST_TYPE_ELEMENT);
  /**
   * GwsWebRTCSink::encoder-setup:
   * @encoder: the new encoder, not yet in the bin
   * @stream: the input stream ("video_0", "audio_0")
   * @codec: the codec ("H264", "VP8", "OPUS")
   *
   * A shared encoder was made for (@stream, @codec), with webrtcsink's own
   * settings applied. Set properties on it here (bitrate, key-frame
   * interval, ...); they stay for the encoder's life. Emitted on the
   * element's session thread, once per encoder (not per consumer).
   *
   * Returns: TRUE when handled: later handlers are not called.
   */
  gws_webrtc_sink_signals[SIGNAL_ENCODER_SETUP] = g_signal_new("encoder-setup",
      G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
      g_signal_accumulator_true_handled, nullptr, nullptr, G_TYPE_BOOLEAN, 3,
      GST_TYPE_ELEMENT, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GwsWebRTCSink::payloader-setup:
   * @payloader: the new payloader, not yet in the bin
   * @stream: the input stream
   * @codec: the codec
   *
   * As #GwsWebRTCSink::encoder-setup, for the shared payloader (pt, mtu
   * and the codec's options are already set).
   *
   * Returns: TRUE when handled: later handlers are not called.
   */
  gws_webrtc_sink_signals[SIGNAL_PAYLOADER_SETUP] = g_signal_new(
      "payloader-setup", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
      g_signal_accumulator_true_handled, nullptr, nullptr, G_TYPE_BOOLEAN, 3,
      GST_TYPE_ELEMENT, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GwsWebRTCSink::get-sessions:
   *
   * Action signal. Never waits for the session thread: from another
   * thread it answers from the last published stats.
   *
   * Returns: (transfer full): the ids of the current sessions
   */
  gws_webrtc_sink_signals[SIGNAL_GET_SESSIONS]
      = g_signal_new_class_handler("get-sessions", G_TYPE_FROM_CLASS(klass),
          static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
          G_CALLBACK(gws_webrtc_sink_get_sessions), nullptr, nullptr, nullptr,
          G_TYPE_STRV, 0);
  /**
   * GwsWebRTCSink::consumer-removed:
   * @peer_id: the consumer's peer id
   * @session_id: the session id
   * @reason: why the session ended
   *
   * A session ended and its webrtcbin is gone.
   */
  gws_webrtc_sink_signals[SIGNAL_CONSUMER_REMOVED]
      = g_signal_new("consumer-removed", G_TYPE_FROM_CLASS(klass),
          G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr, G_TYPE_NONE, 3,
          G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);

  /**
   * GwsWebRTCSink::path-lost:
   * @session_id: the session
   * @silence_ms: how long nothing has arrived from the consumer
   *
   * The session's network path is lost (also posted as a `gws-path-lost`
   * element message). With auto-restart a restart follows.
   */
  gws_webrtc_sink_signals[SIGNAL_PATH_LOST] = g_signal_new("path-lost",
      G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
      G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_UINT64);
  /**
   * GwsWebRTCSink::restart-session:
   * @session_id: (nullable): the session, or NULL for every session
   *
   * Restarts sessions as an ICE restart would (a new connection in the same
   * session, switched to once it carries media), like createOffer with
   * iceRestart. Rate-limited: at most one attempt per session per second.
   *
   * Returns: TRUE if a restart started for at least one session.
   */
  gws_webrtc_sink_signals[SIGNAL_RESTART_SESSION]
      = g_signal_new_class_handler("restart-session", G_TYPE_FROM_CLASS(klass),
          static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
          G_CALLBACK(gws_webrtc_sink_restart_session), nullptr, nullptr,
          nullptr, G_TYPE_BOOLEAN, 1, G_TYPE_STRING);

  g_object_class_install_property(gobject_class, PROP_ENABLE_CONTROL_CHANNEL,
      g_param_spec_boolean("enable-control-channel", "Enable control channel",
          "Open a data channel labelled \"control\" on every session that "
          "speaks the remote-control protocol of GStreamer's Rust webrtcsink "
          "and gstwebrtc-api (its RemoteController): a consumer's mouse, "
          "key and touch events become navigation events sent upstream from "
          "the video input(s), its custom upstream events go upstream from "
          "the inputs, and each request is answered",
          TRUE,
          static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
                                   | GST_PARAM_MUTABLE_READY)));

  /**
   * GwsWebRTCSink::send-data-string:
   * @session_id: (nullable): the session, or NULL for every session
   * @label: the data channel's label
   * @text: the message
   *
   * Sends a text message on data channel @label. Queued until the channel
   * is open (and, during a session restart, until it is open on the new
   * connection); sent once.
   *
   * Returns: TRUE if a matching session is there.
   */
  gws_webrtc_sink_signals[SIGNAL_SEND_DATA_STRING] = g_signal_new_class_handler(
      "send-data-string", G_TYPE_FROM_CLASS(klass),
      static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
      G_CALLBACK(gws_webrtc_sink_send_data_string), nullptr, nullptr, nullptr,
      G_TYPE_BOOLEAN, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GwsWebRTCSink::send-data-bytes:
   * @session_id: (nullable): the session, or NULL for every session
   * @label: the data channel's label
   * @data: the message
   *
   * As send-data-string, for a binary message.
   *
   * Returns: TRUE if a matching session is there.
   */
  gws_webrtc_sink_signals[SIGNAL_SEND_DATA_BYTES] = g_signal_new_class_handler(
      "send-data-bytes", G_TYPE_FROM_CLASS(klass),
      static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
      G_CALLBACK(gws_webrtc_sink_send_data_bytes), nullptr, nullptr, nullptr,
      G_TYPE_BOOLEAN, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_BYTES);
  /**
   * GwsWebRTCSink::data-received:
   * @session_id: the session
   * @label: the data channel's label
   * @data: the message
   * @is_text: TRUE for a text message (UTF-8 in @data)
   *
   * A message arrived on a data channel (not the control channel, which
   * the element answers itself). Emitted on the element's session thread:
   * a handler may call send-data-* at once.
   */
  gws_webrtc_sink_signals[SIGNAL_DATA_RECEIVED]
      = g_signal_new("data-received", G_TYPE_FROM_CLASS(klass),
          G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr, G_TYPE_NONE, 4,
          G_TYPE_STRING, G_TYPE_STRING, G_TYPE_BYTES, G_TYPE_BOOLEAN);

  element_class->change_state = gws_webrtc_sink_change_state;
  element_class->request_new_pad = gws_webrtc_sink_request_new_pad;
  element_class->release_pad = gws_webrtc_sink_release_pad;
  bin_class->handle_message = gws_webrtc_sink_handle_message;

  gst_element_class_add_static_pad_template(element_class, &video_template);
  gst_element_class_add_static_pad_template(element_class, &audio_template);
  gst_element_class_set_static_metadata(element_class,
      "WebRTC producer (gst-webrtc-session)", "Sink/Network/WebRTC",
      "Publishes audio and video to WebRTC consumers found through a "
      "signaller; encodes once per codec for all consumers",
      "gst-webrtc-session developers");
  /* Shown by gst-inspect-1.0 under "Factory Details", since it prints
   * signal arguments only as arg0, arg1. */
  gst_element_class_add_static_metadata(element_class, "signals",
      "consumer-added (peer_id, session_id, webrtcbin); consumer-removed "
      "(peer_id, session_id, reason); path-lost (session_id, silence_ms); "
      "encoder-setup (encoder, stream, codec) -> gboolean handled; "
      "payloader-setup (payloader, stream, codec) -> gboolean handled; "
      "data-received (session_id, label, GBytes data, gboolean is_text); "
      "action restart-session (session_id or NULL for all) -> gboolean "
      "started; action get-sessions () -> GStrv session ids; action "
      "send-data-string (session_id or NULL for all, label, text) -> "
      "gboolean; action send-data-bytes (session_id or NULL, label, "
      "GBytes) -> gboolean");
  gst_element_class_add_static_metadata(element_class, "messages",
      "element messages: gws-path-lost (session-id, silence-ms), "
      "gws-restart-started (session-id, attempt, reason: path-lost, "
      "requested or remote), gws-session-restarted (session-id, restarts, "
      "switch-ms), gws-restart-failed (session-id, attempt, reason), "
      "gws-data-channel (session-id, "
      "label, connection, open), gws-renegotiation-started (session-id, "
      "streams: an input was added or removed while PLAYING); "
      "gst-launch-1.0 -m prints them");

  GST_DEBUG_CATEGORY_INIT(gws_webrtc_sink_debug, "webrtcsink", 0,
      "gst-webrtc-session WebRTC producer");
}
