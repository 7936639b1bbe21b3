/* gst-webrtc-session: webrtcsrc (see gws-webrtc-src.h). */

/**
 * SECTION:element-webrtcsrc
 * @title: webrtcsrc
 *
 * A WebRTC consumer. It asks its signaller for a session with a producer,
 * answers the producer's offer with the codecs it accepts, and adds a
 * sometimes pad `video_%u` / `audio_%u` per received stream. Streams are
 * decoded to raw by default; when downstream accepts only encoded caps
 * (checked when the pad appears), the pad carries the depayloaded encoded
 * stream (video/x-h264, video/x-vp8, video/x-vp9, audio/x-opus) instead.
 *
 * ## Examples
 *
 * |[
 * gst-launch-1.0 webrtcsrc uri=ws://127.0.0.1:8443/?peer-id=cam1 ! videoconvert
 * ! autovideosink
 * ]| Shows the video of producer `cam1`.
 *
 * |[
 * gst-launch-1.0 webrtcsrc name=src uri=ws://127.0.0.1:8443 \
 *     src.video_0 ! videoconvert ! autovideosink \
 *     src.audio_0 ! audioconvert ! autoaudiosink
 * ]| Plays video and audio of the first producer that appears.
 *
 * |[
 * gst-launch-1.0 -e webrtcsrc uri=ws://127.0.0.1:8443/?peer-id=cam1
 * video-codecs="<H264>" \ ! video/x-h264 ! h264parse ! matroskamux ! filesink
 * location=cam1.mkv
 * ]| Records H264 to a file without decoding it (downstream only accepts
 * video/x-h264, so the pad is not decoded).
 *
 * |[
 * gst-play-1.0 "whep+http://127.0.0.1:8081/whep"
 * ]| Plays a WHEP endpoint: webrtcsrc is a URI handler for ws, wss,
 * whep+http, whep+https and whip-server, so playbin and uridecodebin make
 * it from such a URI.
 */

#include "gws-webrtc-src.h"

#include "gws-webrtc-src-private.h"
#include "gws-candidate-stats.h"
#include "gws-caps-watch.h"
#include "gws-uri-handler.h"
#include "gws-webrtcbin-events.h"

#include <optional>

GST_DEBUG_CATEGORY(gws_webrtc_src_debug);
#define GST_CAT_DEFAULT gws_webrtc_src_debug

guint gws_webrtc_src_signals[N_SIGNALS];

using namespace gws;

enum {
  PROP_LATENCY = PROP_COMMON_LAST,
};

static GstStaticPadTemplate video_template
    = GST_STATIC_PAD_TEMPLATE("video_%u", GST_PAD_SRC, GST_PAD_SOMETIMES,
        GST_STATIC_CAPS("video/x-raw(ANY); video/x-vp8; video/x-vp9; "
                        "video/x-h264"));

static GstStaticPadTemplate audio_template
    = GST_STATIC_PAD_TEMPLATE("audio_%u", GST_PAD_SRC, GST_PAD_SOMETIMES,
        GST_STATIC_CAPS("audio/x-raw(ANY); audio/x-opus"));

struct _GwsWebRTCSrc {
  GstBin parent;
  SrcPrivate *priv;
};

/* Lock order: `lock` -> a FreezeMeter's lock; nothing is called out with
 * `lock` held. The
 * session and the bin's children change on the session thread, except the
 * output chains, which are built on the streaming thread that reveals
 * them. */

static SrcPrivate *
PRIV(GwsWebRTCSrc *self) {
  return self->priv;
}

#define gws_webrtc_src_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE(GwsWebRTCSrc, gws_webrtc_src, GST_TYPE_BIN,
    G_IMPLEMENT_INTERFACE(GST_TYPE_CHILD_PROXY, signaller_child_proxy_init)
        G_IMPLEMENT_INTERFACE(GST_TYPE_URI_HANDLER, uri_handler_init_src));
GST_ELEMENT_REGISTER_DEFINE(
    webrtcsrc, "webrtcsrc", GST_RANK_NONE, GWS_TYPE_WEBRTC_SRC);

/* ---- GstElement / GstBin ---- */

static GstStateChangeReturn
gws_webrtc_src_change_state(GstElement *element, GstStateChange transition) {
  auto *self = GWS_WEBRTC_SRC(element);
  SrcPrivate *priv = PRIV(self);

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
      ret = GST_STATE_CHANGE_NO_PREROLL; /* live source */
      break;
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      ret = GST_STATE_CHANGE_NO_PREROLL;
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
gws_webrtc_src_handle_message(GstBin *bin, GstMessage *msg) {
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS
      && GST_MESSAGE_SRC(msg) != GST_OBJECT(bin)) {
    /* EOS travels on our src pads; the network sink inside webrtcbin is
     * not a sink of the application's pipeline. */
    gst_message_unref(msg);
    return;
  }
  GstElement *webrtc = GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR
                           ? webrtcbin_of(GST_MESSAGE_SRC(msg), GST_OBJECT(bin))
                           : nullptr;
  if (webrtc) {
    /* A connection's failure is the session's to handle (restart, or
     * end it); one being closed (its SCTP association aborted as its
     * webrtcbin stops) is nobody's. */
    GError *err = nullptr;
    gst_message_parse_error(msg, &err, nullptr);
    std::string text = err ? err->message : "error";
    g_clear_error(&err);
    SrcPrivate *priv = PRIV(GWS_WEBRTC_SRC(bin));
    priv->loop.post([priv, webrtc, text]() {
      auto &cs = priv->conns;
      for (ReceiveSession *c : {cs.current(), cs.pending(), cs.retiring()}) {
        if (c && c->webrtcbin() == webrtc) {
          priv->fail_connection(c->id(), c->gen(), text);
          return;
        }
      }
      GST_DEBUG_OBJECT(
          priv->self, "error from a closed connection: %s", text.c_str());
    });
    gst_message_unref(msg);
    return;
  }
  GST_BIN_CLASS(parent_class)->handle_message(bin, msg);
}

/* ---- GObject ---- */

static void
gws_webrtc_src_set_property(
    GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec) {
  SrcPrivate *priv = PRIV(GWS_WEBRTC_SRC(object));
  if (priv->set_common(object, prop_id, value))
    return;
  if (prop_id == PROP_LATENCY) {
    std::lock_guard<std::mutex> g(priv->lock);
    priv->latency = g_value_get_uint(value);
    return;
  }
  G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
}

/* Never waits for the session thread (a streaming thread may call it while
 * the session thread waits for that thread): the snapshot it published,
 * or a fresh one on the session thread itself and before the first start
 * (gws-stats-snapshot.h). */
static GstStructure *
read_stats(SrcPrivate *priv) {
  return read_element_stats(
      priv->stats_snapshot, priv->loop.is_current(),
      [priv]() { return priv->make_stats(); }, GST_BIN(priv->self),
      StatsDirection::Receiving);
}

static void
gws_webrtc_src_get_property(
    GObject *object, guint prop_id, GValue *value, GParamSpec *pspec) {
  SrcPrivate *priv = PRIV(GWS_WEBRTC_SRC(object));
  if (prop_id == PROP_STATS) {
    g_value_take_boxed(value, read_stats(priv));
    return;
  }
  if (priv->get_common(prop_id, value))
    return;
  if (prop_id == PROP_LATENCY) {
    std::lock_guard<std::mutex> g(priv->lock);
    g_value_set_uint(value, priv->latency);
    return;
  }
  G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
}

static void
gws_webrtc_src_finalize(GObject *object) {
  auto *self = GWS_WEBRTC_SRC(object);
  delete self->priv;
  self->priv = nullptr;
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void
gws_webrtc_src_init(GwsWebRTCSrc *self) {
  self->priv = new SrcPrivate(self);
  SrcPrivate *priv = self->priv;
  priv->loop.set_after_work(
      [priv]() { priv->stats_snapshot.publish(priv->make_stats()); });
  GST_OBJECT_FLAG_SET(self, GST_ELEMENT_FLAG_SOURCE);
  /* A live source never prerolls. Without this, every decodebin added
   * while PLAYING (the first stream, and each restart's new connection)
   * posts async-start until it has decoded a frame, and the pipeline
   * falls back to PAUSED meanwhile: measured, a restart stalled the old,
   * healthy connection for its whole setup (~300 ms of frames lost). */
  g_object_set(self, "async-handling", TRUE, nullptr);
  /* Opus decoders inside the decodebins use the sender's in-band FEC. */
  g_signal_connect(self, "deep-element-added",
      G_CALLBACK(+[](GstBin *, GstBin *, GstElement *element, gpointer) {
        loss_recovery_tune_decoder(element);
      }),
      nullptr);
}

static gboolean
gws_webrtc_src_restart_session(GwsWebRTCSrc *self, const gchar *session_id) {
  SrcPrivate *priv = PRIV(self);
  std::optional<std::string> only;
  if (session_id)
    only = session_id;
  return gws::run_on_session_thread(
      priv->loop, priv->stats_snapshot, session_id, [priv, only]() {
        if (priv->session() && (!only || priv->session()->id() == *only))
          return priv->start_restart("requested");
        return false;
      });
}

static gboolean
gws_webrtc_src_send_data_string(GwsWebRTCSrc *self, const gchar *session_id,
    const gchar *label, const gchar *text) {
  if (!text)
    return FALSE;
  GBytes *b = g_bytes_new(text, strlen(text));
  gboolean ok = PRIV(self)->send_data(session_id, label, b, true);
  g_bytes_unref(b);
  return ok;
}

static gboolean
gws_webrtc_src_send_data_bytes(GwsWebRTCSrc *self, const gchar *session_id,
    const gchar *label, GBytes *data) {
  return PRIV(self)->send_data(session_id, label, data, false);
}

static void
gws_webrtc_src_class_init(GwsWebRTCSrcClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstBinClass *bin_class = GST_BIN_CLASS(klass);
  const auto rw = static_cast<GParamFlags>(
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  gobject_class->set_property = gws_webrtc_src_set_property;
  gobject_class->get_property = gws_webrtc_src_get_property;
  gobject_class->finalize = gws_webrtc_src_finalize;

  install_common_properties(gobject_class,
      {
          /* uri */
          "Where to find the producer; the scheme picks the signaller. ws:// "
          "or wss:// use our relay: ?peer-id=NAME selects producer NAME, "
          "without it the first producer that appears is used, ?token=T for "
          "a relay started with --token (e.g. "
          "ws://127.0.0.1:8443/?peer-id=cam1); poll+http(s)://HOST:PORT/ "
          "the same over HTTP long-poll, where proxies block WebSocket; "
          "whep+http(s)://HOST/PATH "
          "plays from a WHEP endpoint; whip-server://ADDRESS:PORT/PATH "
          "accepts WHIP publishers. Setting it replaces the signaller, so set "
          "it before any signaller::property",
          /* signaller */
          "The object implementing GwsSignaller that finds the producer and "
          "carries SDP and ICE (made from uri unless set; its properties are "
          "reachable as signaller::NAME)",
          /* video-codecs */
          "Video codecs to accept, in order of preference, e.g. "
          "\"<H264,VP8>\" (VP8, H264, VP9). Empty: every codec with an "
          "installed depayloader (VP8, H264, VP9)",
          /* audio-codecs */
          "Audio codecs to accept, in order of preference, e.g. \"<OPUS>\". "
          "Empty: every codec with an installed depayloader",
          /* stats */
          "streams (uint: exposed pads), sessions (list: id, peer-id, "
          "connection (0, then +1 per restart), restarts, path-state (ok, "
          "lost, restarting), last-packet-ms, packets-received)",
          GWS_SIGNALLER_ROLE_CONSUMER,
      });
  g_object_class_install_property(gobject_class, PROP_LATENCY,
      g_param_spec_uint("latency", "Jitterbuffer latency (ms)",
          "How long received packets wait to be reordered before decoding, "
          "in ms. Default 50: enough for LAN and Wi-Fi jitter while keeping "
          "setup and glass-to-glass delay low (webrtcbin's 200 ms default "
          "delays the first frame and every frame by 200 ms). With "
          "do-retransmission, video starts at this latency and grows in 25 ms "
          "steps, up to 150 ms more, when retransmissions arrive too late "
          "(stats: jitter-buffer-latency-ms). Raise it for long-distance "
          "links",
          0, G_MAXUINT, DEFAULT_LATENCY_MS, rw));

  /**
   * GwsWebRTCSrc::path-lost:
   * @session_id: the session
   * @silence_ms: how long nothing has arrived from the producer
   *
   * The session's network path is lost (also posted as a `gws-path-lost`
   * element message). With auto-restart a restart follows.
   */
  gws_webrtc_src_signals[SIGNAL_PATH_LOST] = g_signal_new("path-lost",
      G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
      G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_UINT64);
  /**
   * GwsWebRTCSrc::restart-session:
   * @session_id: (nullable): the session, or NULL for the current one
   *
   * Restarts the session as an ICE restart would: a new connection in the
   * same session (we offer it), switched to once it delivers a decoded
   * frame. Rate-limited: at most one attempt per second.
   *
   * Returns: TRUE if a restart started.
   */
  gws_webrtc_src_signals[SIGNAL_RESTART_SESSION]
      = g_signal_new_class_handler("restart-session", G_TYPE_FROM_CLASS(klass),
          static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
          G_CALLBACK(gws_webrtc_src_restart_session), nullptr, nullptr, nullptr,
          G_TYPE_BOOLEAN, 1, G_TYPE_STRING);

  /**
   * GwsWebRTCSrc::send-data-string:
   * @session_id: (nullable): the session, or NULL for the current one
   * @label: the data channel's label
   * @text: the message
   *
   * Sends a text message on data channel @label (one of `data-channels`
   * or one the producer opened). Queued until the channel is open (and,
   * during a session restart, until it is open on the new connection);
   * sent once.
   *
   * Returns: TRUE if a matching session is there.
   */
  gws_webrtc_src_signals[SIGNAL_SEND_DATA_STRING] = g_signal_new_class_handler(
      "send-data-string", G_TYPE_FROM_CLASS(klass),
      static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
      G_CALLBACK(gws_webrtc_src_send_data_string), nullptr, nullptr, nullptr,
      G_TYPE_BOOLEAN, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GwsWebRTCSrc::send-data-bytes:
   * @session_id: (nullable): the session, or NULL for the current one
   * @label: the data channel's label
   * @data: the message
   *
   * As send-data-string, for a binary message.
   *
   * Returns: TRUE if a matching session is there.
   */
  gws_webrtc_src_signals[SIGNAL_SEND_DATA_BYTES]
      = g_signal_new_class_handler("send-data-bytes", G_TYPE_FROM_CLASS(klass),
          static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
          G_CALLBACK(gws_webrtc_src_send_data_bytes), nullptr, nullptr, nullptr,
          G_TYPE_BOOLEAN, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_BYTES);
  /**
   * GwsWebRTCSrc::data-received:
   * @session_id: the session
   * @label: the data channel's label
   * @data: the message
   * @is_text: TRUE for a text message (UTF-8 in @data)
   *
   * A message arrived on a data channel (the producer's answers on its
   * `control` channel excepted). Emitted on the element's session thread.
   */
  gws_webrtc_src_signals[SIGNAL_DATA_RECEIVED]
      = g_signal_new("data-received", G_TYPE_FROM_CLASS(klass),
          G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr, G_TYPE_NONE, 4,
          G_TYPE_STRING, G_TYPE_STRING, G_TYPE_BYTES, G_TYPE_BOOLEAN);

  element_class->change_state = gws_webrtc_src_change_state;
  /* Every output pad: warn when an encoded one changes caps mid-stream. */
  element_class->pad_added = [](GstElement *element, GstPad *pad) {
    watch_output_caps(element, pad);
    /* Navigation events from downstream (a video sink's window) go to
     * the producer over its control channel; they also continue. */
    gst_pad_add_probe(
        pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
        [](GstPad *pad, GstPadProbeInfo *info, gpointer data) {
          GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
          if (GST_EVENT_TYPE(ev) == GST_EVENT_NAVIGATION)
            PRIV(GWS_WEBRTC_SRC(data))->forward_navigation(pad, ev);
          return GST_PAD_PROBE_OK;
        },
        element, nullptr);
  };
  bin_class->handle_message = gws_webrtc_src_handle_message;

  gst_element_class_add_static_pad_template(element_class, &video_template);
  gst_element_class_add_static_pad_template(element_class, &audio_template);
  gst_element_class_set_static_metadata(element_class,
      "WebRTC consumer (gst-webrtc-session)", "Source/Network/WebRTC",
      "Receives audio and video from a WebRTC producer found through a "
      "signaller; decodes unless downstream wants the encoded stream",
      "gst-webrtc-session developers");
  /* Shown by gst-inspect-1.0 under "Factory Details", since it prints
   * signal arguments only as arg0, arg1. */
  gst_element_class_add_static_metadata(element_class, "signals",
      "path-lost (session_id, silence_ms): nothing arrived for "
      "path-timeout; action restart-session (session_id or NULL) -> "
      "gboolean started; data-received (session_id, label, GBytes data, "
      "gboolean is_text); action send-data-string (session_id or NULL, "
      "label, text) -> gboolean; action send-data-bytes (session_id or NULL, "
      "label, GBytes) -> gboolean");
  gst_element_class_add_static_metadata(element_class, "messages",
      "element messages: gws-path-lost (session-id, silence-ms), "
      "gws-restart-started (session-id, attempt, reason: path-lost, "
      "requested or remote), gws-session-restarted (session-id, restarts, "
      "switch-ms), gws-restart-failed (session-id, attempt, reason), "
      "gws-data-channel (session-id, label, connection, open), "
      "gws-renegotiated (session-id, added, removed: the producer's "
      "streams changed in the session); "
      "gst-launch-1.0 -m prints them");

  GST_DEBUG_CATEGORY_INIT(gws_webrtc_src_debug, "webrtcsrc", 0,
      "gst-webrtc-session WebRTC consumer");
}
