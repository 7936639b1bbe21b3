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
 */

#include "gws-webrtc-src.h"

#include "gws-codecs.h"
#include "gws-ice.h"
#include "gws-receive-session.h"
#include "gws-session-loop.h"
#include "gws-signaller-link.h"
#include "gws-signaller.h"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY(gws_webrtc_src_debug);
#define GST_CAT_DEFAULT gws_webrtc_src_debug

#define DEFAULT_URI "ws://127.0.0.1:8443"
/* Jitterbuffer latency. webrtcbin's 200 ms delays the first frame and every
 * frame by 200 ms; with 0 a LAN stream starts ~10 ms after connection but
 * any reordering or jitter becomes a glitch. 50 ms absorbs LAN and Wi-Fi
 * jitter (a few ms, spikes of tens) and keeps glass-to-glass low. */
#define DEFAULT_LATENCY_MS 50

using namespace gws;

enum {
  PROP_0,
  PROP_URI,
  PROP_SIGNALLER,
  PROP_VIDEO_CODECS,
  PROP_AUDIO_CODECS,
  PROP_LATENCY,
  PROP_ICE_ADDRESSES,
  PROP_STUN_SERVER,
  PROP_TURN_SERVERS,
};

static GstStaticPadTemplate video_template
    = GST_STATIC_PAD_TEMPLATE("video_%u", GST_PAD_SRC, GST_PAD_SOMETIMES,
        GST_STATIC_CAPS("video/x-raw(ANY); video/x-vp8; video/x-vp9; "
                        "video/x-h264"));

static GstStaticPadTemplate audio_template
    = GST_STATIC_PAD_TEMPLATE("audio_%u", GST_PAD_SRC, GST_PAD_SOMETIMES,
        GST_STATIC_CAPS("audio/x-raw(ANY); audio/x-opus"));

namespace {

/* One exposed stream: webrtcbin src pad -> depay [-> parse | -> decodebin]
 * -> ghost pad. */
struct Output {
  GstPad *ghost = nullptr;
  std::vector<GstElement *> elements;
  bool encoded = false;
};

} // namespace

struct SrcPrivate;

struct _GwsWebRTCSrc {
  GstBin parent;
  SrcPrivate *priv;
};

/* Lock order: `lock` is a leaf; nothing is called out with it held. The
 * session and the bin's children change on the session thread, except the
 * output chains, which are built on the streaming thread that reveals
 * them. */
struct SrcPrivate : public ReceiveSession::Host {
  explicit SrcPrivate(GwsWebRTCSrc *s) : self(s), loop("webrtcsrc") {
    g_value_init(&video_codecs, GST_TYPE_ARRAY);
    g_value_init(&audio_codecs, GST_TYPE_ARRAY);
    g_value_init(&turn_servers, GST_TYPE_ARRAY);
  }
  ~SrcPrivate() override {
    g_value_unset(&video_codecs);
    g_value_unset(&audio_codecs);
    g_value_unset(&turn_servers);
    if (signaller)
      g_object_unref(signaller);
  }

  GwsWebRTCSrc *self;
  std::mutex lock;
  /* Settings (lock). */
  std::string uri = DEFAULT_URI;
  std::string uri_error;
  GwsSignaller *signaller = nullptr;
  GValue video_codecs = G_VALUE_INIT;
  GValue audio_codecs = G_VALUE_INIT;
  GValue turn_servers = G_VALUE_INIT;
  guint latency = DEFAULT_LATENCY_MS;
  IceConfig ice;
  /* Outputs (lock). */
  std::vector<Output> outputs;
  guint next_video = 0;
  guint next_audio = 0;
  guint expected_streams = 0; /* 0: not known yet */
  bool no_more_pads = false;

  SessionLoop loop;
  SignallerLink link;
  /* Session thread only. */
  bool accepting = false;
  std::unique_ptr<ReceiveSession> session;

  /* Protocols where the consumer offers (WHEP) say so with a boolean
   * "consumer-offers" property on their signaller. */
  bool signaller_wants_our_offer() {
    GwsSignaller *sig = ref_signaller();
    if (!sig)
      return false;
    gboolean offers = FALSE;
    if (g_object_class_find_property(
            G_OBJECT_GET_CLASS(sig), "consumer-offers"))
      g_object_get(sig, "consumer-offers", &offers, nullptr);
    g_object_unref(sig);
    return offers;
  }
  GwsSignaller *ref_signaller() {
    std::lock_guard<std::mutex> g(lock);
    return signaller ? GWS_SIGNALLER(g_object_ref(signaller)) : nullptr;
  }

  /* ReceiveSession::Host */
  GstBin *bin() override { return GST_BIN(self); }
  void send_sdp(
      const std::string &id, const GstWebRTCSessionDescription *desc) override {
    GwsSignaller *sig = ref_signaller();
    if (sig) {
      gws_signaller_send_sdp(sig, id.c_str(), desc);
      g_object_unref(sig);
    }
  }
  void send_ice(const std::string &id, guint mline,
      const std::string &candidate) override {
    GwsSignaller *sig = ref_signaller();
    if (sig) {
      gws_signaller_add_ice(sig, id.c_str(),
          candidate.empty() ? nullptr : candidate.c_str(), mline, nullptr);
      g_object_unref(sig);
    }
  }
  void with_session(const std::string &id,
      std::function<void(ReceiveSession &)> fn) override {
    loop.post([this, id, fn]() {
      if (session && session->id() == id)
        fn(*session);
    });
  }
  void fail_session(const std::string &id, const std::string &reason) override {
    loop.post([this, id, reason]() {
      if (!session || session->id() != id)
        return;
      GST_ELEMENT_ERROR(
          self, STREAM, FAILED, ("%s", reason.c_str()), (nullptr));
      end_session(id, reason, true);
    });
  }
  void on_stream_pad(GstPad *pad) override;
  void set_expected_streams(guint n) override;

  /* Session thread. */
  void start_session(const std::string &id, const std::string &peer);
  void end_session(
      const std::string &id, const std::string &reason, bool tell_remote);
  void send_eos();
  void remove_outputs();

  void start_signaller();
  void stop_signaller();
};

static SrcPrivate *
PRIV(GwsWebRTCSrc *self) {
  return self->priv;
}

static void gws_webrtc_src_child_proxy_init(GstChildProxyInterface *iface);

#define gws_webrtc_src_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE(GwsWebRTCSrc, gws_webrtc_src, GST_TYPE_BIN,
    G_IMPLEMENT_INTERFACE(
        GST_TYPE_CHILD_PROXY, gws_webrtc_src_child_proxy_init));
GST_ELEMENT_REGISTER_DEFINE(
    webrtcsrc, "webrtcsrc", GST_RANK_NONE, GWS_TYPE_WEBRTC_SRC);

/* ---- session (session thread) ---- */

void
SrcPrivate::start_session(const std::string &id, const std::string &peer) {
  if (!accepting)
    return;
  if (session && session->id() == id)
    return;
  if (session)
    end_session(session->id(), "a new session replaces it", true);

  std::vector<const CodecInfo *> video, audio;
  std::vector<std::string> rejected;
  IceConfig ice_copy;
  guint latency_ms;
  {
    std::lock_guard<std::mutex> g(lock);
    video = codecs_from_value(&video_codecs, MediaKind::Video, &rejected);
    audio = codecs_from_value(&audio_codecs, MediaKind::Audio, &rejected);
    ice_copy = ice;
    latency_ms = latency;
  }
  auto receivable = [](std::vector<const CodecInfo *> &list, MediaKind k) {
    if (list.empty()) {
      list = default_receive_order(k);
      return;
    }
    std::vector<const CodecInfo *> out;
    for (const CodecInfo *c : list) {
      if (codec_can_receive(*c))
        out.push_back(c);
    }
    list = out;
  };
  receivable(video, MediaKind::Video);
  receivable(audio, MediaKind::Audio);

  session = std::make_unique<ReceiveSession>(*this, id, peer, video, audio);
  GError *err = nullptr;
  if (!session->prepare(ice_copy, latency_ms, &err)) {
    GST_ELEMENT_ERROR(
        self, RESOURCE, SETTINGS, ("%s", err->message), (nullptr));
    g_clear_error(&err);
    session.reset();
    return;
  }
  /* webrtcbin carries a sink (nicesink): this bin is still a source only. */
  GST_OBJECT_FLAG_UNSET(self, GST_ELEMENT_FLAG_SINK);
  GST_OBJECT_FLAG_SET(self, GST_ELEMENT_FLAG_SOURCE);
  if (signaller_wants_our_offer())
    session->start_offer();
  GST_INFO_OBJECT(
      self, "session %s with producer %s", id.c_str(), peer.c_str());
}

void
SrcPrivate::end_session(
    const std::string &id, const std::string &reason, bool tell_remote) {
  if (!session || session->id() != id)
    return;
  GST_INFO_OBJECT(self, "session %s ended: %s", id.c_str(), reason.c_str());
  if (tell_remote) {
    GwsSignaller *sig = ref_signaller();
    if (sig) {
      gws_signaller_end_session(sig, id.c_str());
      g_object_unref(sig);
    }
  }
  send_eos();
  session.reset();
  GST_OBJECT_FLAG_UNSET(self, GST_ELEMENT_FLAG_SINK);
}

void
SrcPrivate::send_eos() {
  std::vector<GstElement *> heads;
  {
    std::lock_guard<std::mutex> g(lock);
    for (auto &o : outputs) {
      if (!o.elements.empty())
        heads.push_back(GST_ELEMENT(gst_object_ref(o.elements.front())));
    }
  }
  for (GstElement *e : heads) {
    g_autoptr(GstPad) sink = gst_element_get_static_pad(e, "sink");
    gst_pad_send_event(sink, gst_event_new_eos());
    gst_object_unref(e);
  }
}

void
SrcPrivate::remove_outputs() {
  std::vector<Output> outs;
  {
    std::lock_guard<std::mutex> g(lock);
    outs.swap(outputs);
    next_video = next_audio = 0;
    expected_streams = 0;
    no_more_pads = false;
  }
  for (auto &o : outs) {
    for (GstElement *e : o.elements) {
      gst_element_set_locked_state(e, TRUE);
      gst_element_set_state(e, GST_STATE_NULL);
      gst_bin_remove(GST_BIN(self), e);
    }
    gst_pad_set_active(o.ghost, FALSE);
    gst_element_remove_pad(GST_ELEMENT(self), o.ghost);
  }
}

/* ---- outputs (streaming thread) ---- */

static bool
downstream_wants_encoded(GstPad *ghost, const CodecInfo &codec) {
  g_autoptr(GstCaps) peer = gst_pad_peer_query_caps(ghost, nullptr);
  if (!peer)
    return false;
  bool encoded = false;
  if (!gst_caps_is_any(peer) && !gst_caps_is_empty(peer)) {
    g_autoptr(GstCaps) raw = gst_caps_from_string(codec.kind == MediaKind::Video
                                                      ? "video/x-raw(ANY)"
                                                      : "audio/x-raw(ANY)");
    g_autoptr(GstCaps) enc = gst_caps_from_string(codec.encoded_caps);
    encoded = !gst_caps_can_intersect(peer, raw)
              && gst_caps_can_intersect(peer, enc);
  }
  GST_DEBUG_OBJECT(ghost, "downstream accepts %" GST_PTR_FORMAT ": %s", peer,
      encoded ? "encoded" : "raw");
  return encoded;
}

void
SrcPrivate::on_stream_pad(GstPad *pad) {
  GstCaps *caps = gst_pad_get_current_caps(pad);
  if (!caps)
    caps = gst_pad_query_caps(pad, nullptr);
  const CodecInfo *codec
      = caps && !gst_caps_is_empty(caps)
            ? codec_for_rtp_structure(gst_caps_get_structure(caps, 0))
            : nullptr;
  GST_INFO_OBJECT(self, "new stream %" GST_PTR_FORMAT, caps);
  if (caps)
    gst_caps_unref(caps);
  if (!codec) {
    GST_ELEMENT_WARNING(self, STREAM, CODEC_NOT_FOUND,
        ("received a stream of an unknown codec; ignoring it"), (nullptr));
    GstElement *sink = gst_element_factory_make("fakesink", nullptr);
    g_object_set(sink, "async", FALSE, "sync", FALSE, nullptr);
    gst_bin_add(GST_BIN(self), sink);
    gst_element_sync_state_with_parent(sink);
    g_autoptr(GstPad) sinkpad = gst_element_get_static_pad(sink, "sink");
    gst_pad_link(pad, sinkpad);
    return;
  }

  bool video = codec->kind == MediaKind::Video;
  std::string name;
  {
    std::lock_guard<std::mutex> g(lock);
    guint &counter = video ? next_video : next_audio;
    name = std::string(video ? "video_" : "audio_") + std::to_string(counter++);
  }
  GstPadTemplate *templ = gst_element_class_get_pad_template(
      GST_ELEMENT_GET_CLASS(self), video ? "video_%u" : "audio_%u");
  GstPad *ghost
      = gst_ghost_pad_new_no_target_from_template(name.c_str(), templ);
  /* All streams share one transport (BUNDLE): a stream nobody linked
   * must not stop the others with not-linked, so drop its data. */
  gst_pad_add_probe(
      ghost,
      static_cast<GstPadProbeType>(
          GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
      [](GstPad *pad, GstPadProbeInfo *, gpointer) {
        return gst_pad_is_linked(pad) ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
      },
      nullptr, nullptr);
  gst_pad_set_active(ghost, TRUE);
  gst_element_add_pad(GST_ELEMENT(self), ghost); /* app links it now */

  Output out;
  out.ghost = ghost;
  out.encoded = downstream_wants_encoded(ghost, *codec);
  GstElement *depay = gst_element_factory_make(codec->depayloader, nullptr);
  if (g_object_class_find_property(
          G_OBJECT_GET_CLASS(depay), "request-keyframe"))
    g_object_set(depay, "request-keyframe", TRUE, nullptr);
  out.elements.push_back(depay);
  if (out.encoded) {
    if (codec->parser)
      out.elements.push_back(gst_element_factory_make(codec->parser, nullptr));
  } else {
    GstElement *dec = gst_element_factory_make("decodebin", nullptr);
    g_signal_connect(dec, "pad-added",
        G_CALLBACK(+[](GstElement *, GstPad *dpad, gpointer data) {
          GstPad *g = GST_PAD(data);
          GstPad *target = gst_ghost_pad_get_target(GST_GHOST_PAD(g));
          if (target) {
            gst_object_unref(target);
            return; /* one stream per decodebin */
          }
          gst_ghost_pad_set_target(GST_GHOST_PAD(g), dpad);
        }),
        ghost);
    out.elements.push_back(dec);
  }
  for (GstElement *e : out.elements)
    gst_bin_add(GST_BIN(self), e);
  for (size_t i = 0; i + 1 < out.elements.size(); i++)
    gst_element_link(out.elements[i], out.elements[i + 1]);
  if (out.encoded) {
    g_autoptr(GstPad) last
        = gst_element_get_static_pad(out.elements.back(), "src");
    gst_ghost_pad_set_target(GST_GHOST_PAD(ghost), last);
  }
  for (auto it = out.elements.rbegin(); it != out.elements.rend(); ++it)
    gst_element_sync_state_with_parent(*it);
  g_autoptr(GstPad) depay_sink = gst_element_get_static_pad(depay, "sink");
  GstPadLinkReturn ret = gst_pad_link(pad, depay_sink);
  if (ret != GST_PAD_LINK_OK)
    GST_ELEMENT_WARNING(self, CORE, NEGOTIATION,
        ("could not link the received %s stream: %s", codec->name,
            gst_pad_link_get_name(ret)),
        (nullptr));
  GST_INFO_OBJECT(self, "exposed %s (%s, %s)", name.c_str(), codec->name,
      out.encoded ? "encoded" : "decoded");
  bool all = false;
  {
    std::lock_guard<std::mutex> g(lock);
    outputs.push_back(std::move(out));
    all = expected_streams && outputs.size() >= expected_streams
          && !no_more_pads;
    if (all)
      no_more_pads = true;
  }
  if (all)
    gst_element_no_more_pads(GST_ELEMENT(self));
}

void
SrcPrivate::set_expected_streams(guint n) {
  std::lock_guard<std::mutex> g(lock);
  expected_streams = n;
}

/* ---- signaller ---- */

void
SrcPrivate::start_signaller() {
  GwsSignaller *sig = ref_signaller();
  if (!sig)
    return;
  SignallerCallbacks cb;
  cb.session_started = [this](std::string id, std::string peer) {
    loop.post([this, id, peer]() { start_session(id, peer); });
  };
  cb.session_description = [this](std::string id, DescPtr desc) {
    loop.post([this, id, desc]() {
      /* Tolerate a signaller that skips "session-started". */
      if (!session)
        start_session(id, "");
      if (session && session->id() == id)
        session->on_remote_description(desc.get());
    });
  };
  cb.handle_ice = [this](std::string id, guint mline, std::string cand) {
    with_session(id, [mline, cand](ReceiveSession &s) {
      s.on_remote_candidate(mline, cand);
    });
  };
  cb.session_ended = [this](std::string id, std::string reason) {
    loop.post([this, id, reason]() {
      end_session(id,
          reason.empty() ? std::string("the producer ended it") : reason,
          false);
    });
  };
  cb.error = [this](std::string message, bool fatal) {
    if (fatal)
      GST_ELEMENT_ERROR(
          self, RESOURCE, FAILED, ("%s", message.c_str()), (nullptr));
    else
      GST_ELEMENT_WARNING(
          self, RESOURCE, OPEN_READ_WRITE, ("%s", message.c_str()), (nullptr));
  };
  cb.connection_changed = [this](bool connected) {
    GST_INFO_OBJECT(
        self, "signalling %s", connected ? "connected" : "disconnected");
  };
  link.connect(sig, std::move(cb));
  loop.run_sync([this]() { accepting = true; });
  gws_signaller_start(sig);
  g_object_unref(sig);
}

void
SrcPrivate::stop_signaller() {
  GwsSignaller *sig = ref_signaller();
  link.disconnect();
  if (sig) {
    gws_signaller_stop(sig);
    g_object_unref(sig);
  }
  loop.run_sync([this]() {
    accepting = false;
    session.reset();
    remove_outputs();
  });
}

/* ---- GstElement / GstBin ---- */

static GstStateChangeReturn
gws_webrtc_src_change_state(GstElement *element, GstStateChange transition) {
  auto *self = GWS_WEBRTC_SRC(element);
  SrcPrivate *priv = PRIV(self);

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY: {
      std::string uri_error;
      bool have;
      {
        std::lock_guard<std::mutex> g(priv->lock);
        have = priv->signaller != nullptr;
        uri_error = priv->uri_error;
      }
      if (!have) {
        GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS,
            ("no signaller: %s", uri_error.empty()
                                     ? "set the uri or signaller property"
                                     : uri_error.c_str()),
            (nullptr));
        return GST_STATE_CHANGE_FAILURE;
      }
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
  GST_BIN_CLASS(parent_class)->handle_message(bin, msg);
}

/* ---- GObject ---- */

static void
gws_webrtc_src_set_property(
    GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec) {
  auto *self = GWS_WEBRTC_SRC(object);
  SrcPrivate *priv = PRIV(self);

  switch (prop_id) {
    case PROP_URI: {
      const gchar *uri = g_value_get_string(value);
      GError *err = nullptr;
      GwsSignaller *sig = uri ? gws_signaller_new_for_uri(
                              uri, GWS_SIGNALLER_ROLE_CONSUMER, &err)
                              : nullptr;
      {
        std::lock_guard<std::mutex> g(priv->lock);
        priv->uri = uri ? uri : "";
        priv->uri_error
            = err ? std::string("uri ") + (uri ? uri : "") + ": " + err->message
                  : std::string();
        if (priv->signaller)
          g_object_unref(priv->signaller);
        priv->signaller = sig;
      }
      if (err) {
        GST_WARNING_OBJECT(self, "%s", err->message);
        g_clear_error(&err);
      }
      g_object_notify(object, "signaller");
      break;
    }
    case PROP_SIGNALLER: {
      GObject *obj = G_OBJECT(g_value_dup_object(value));
      std::lock_guard<std::mutex> g(priv->lock);
      if (priv->signaller)
        g_object_unref(priv->signaller);
      priv->signaller = obj ? GWS_SIGNALLER(obj) : nullptr;
      priv->uri_error.clear();
      break;
    }
    case PROP_VIDEO_CODECS:
    case PROP_AUDIO_CODECS: {
      MediaKind kind
          = prop_id == PROP_VIDEO_CODECS ? MediaKind::Video : MediaKind::Audio;
      std::vector<std::string> rejected;
      codecs_from_value(value, kind, &rejected);
      for (const auto &r : rejected)
        GST_WARNING_OBJECT(self, "ignoring unknown %s codec '%s'",
            media_kind_name(kind), r.c_str());
      std::lock_guard<std::mutex> g(priv->lock);
      g_value_copy(value, prop_id == PROP_VIDEO_CODECS ? &priv->video_codecs
                                                       : &priv->audio_codecs);
      break;
    }
    case PROP_LATENCY: {
      std::lock_guard<std::mutex> g(priv->lock);
      priv->latency = g_value_get_uint(value);
      break;
    }
    case PROP_ICE_ADDRESSES: {
      std::lock_guard<std::mutex> g(priv->lock);
      priv->ice.addresses = split_addresses(g_value_get_string(value));
      break;
    }
    case PROP_STUN_SERVER: {
      const gchar *s = g_value_get_string(value);
      std::lock_guard<std::mutex> g(priv->lock);
      priv->ice.stun_server = s ? s : "";
      break;
    }
    case PROP_TURN_SERVERS: {
      std::lock_guard<std::mutex> g(priv->lock);
      g_value_copy(value, &priv->turn_servers);
      priv->ice.turn_servers.clear();
      for (guint i = 0; i < gst_value_array_get_size(value); i++) {
        const GValue *v = gst_value_array_get_value(value, i);
        if (G_VALUE_HOLDS_STRING(v) && g_value_get_string(v))
          priv->ice.turn_servers.emplace_back(g_value_get_string(v));
      }
      break;
    }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
}

static void
gws_webrtc_src_get_property(
    GObject *object, guint prop_id, GValue *value, GParamSpec *pspec) {
  SrcPrivate *priv = PRIV(GWS_WEBRTC_SRC(object));
  if (prop_id == PROP_URI) {
    /* The signaller's own uri, which signaller::uri may have changed. */
    GwsSignaller *sig = priv->ref_signaller();
    gchar *uri = nullptr;
    if (sig && g_object_class_find_property(G_OBJECT_GET_CLASS(sig), "uri"))
      g_object_get(sig, "uri", &uri, nullptr);
    if (sig)
      g_object_unref(sig);
    if (uri) {
      g_value_take_string(value, uri);
    } else {
      std::lock_guard<std::mutex> g(priv->lock);
      g_value_set_string(value, priv->uri.c_str());
    }
    return;
  }
  std::lock_guard<std::mutex> g(priv->lock);
  switch (prop_id) {
    case PROP_SIGNALLER:
      g_value_set_object(value, priv->signaller);
      break;
    case PROP_VIDEO_CODECS:
      g_value_copy(&priv->video_codecs, value);
      break;
    case PROP_AUDIO_CODECS:
      g_value_copy(&priv->audio_codecs, value);
      break;
    case PROP_LATENCY:
      g_value_set_uint(value, priv->latency);
      break;
    case PROP_ICE_ADDRESSES:
      g_value_set_string(value, join_addresses(priv->ice.addresses).c_str());
      break;
    case PROP_STUN_SERVER:
      g_value_set_string(value, priv->ice.stun_server.empty()
                                    ? nullptr
                                    : priv->ice.stun_server.c_str());
      break;
    case PROP_TURN_SERVERS:
      g_value_copy(&priv->turn_servers, value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
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
  GError *err = nullptr;
  self->priv->signaller = gws_signaller_new_for_uri(
      DEFAULT_URI, GWS_SIGNALLER_ROLE_CONSUMER, &err);
  if (err) {
    self->priv->uri_error = err->message;
    g_clear_error(&err);
  }
  GST_OBJECT_FLAG_SET(self, GST_ELEMENT_FLAG_SOURCE);
}

/* ---- GstChildProxy: "signaller::prop=value" ---- */

static GObject *
child_proxy_get_child_by_name(GstChildProxy *proxy, const gchar *name) {
  if (g_strcmp0(name, "signaller") != 0)
    return nullptr;
  GwsSignaller *sig = PRIV(GWS_WEBRTC_SRC(proxy))->ref_signaller();
  return sig ? G_OBJECT(sig) : nullptr;
}

static GObject *
child_proxy_get_child_by_index(GstChildProxy *proxy, guint index) {
  return index == 0 ? child_proxy_get_child_by_name(proxy, "signaller")
                    : nullptr;
}

static guint
child_proxy_get_children_count(GstChildProxy *proxy) {
  SrcPrivate *priv = PRIV(GWS_WEBRTC_SRC(proxy));
  std::lock_guard<std::mutex> g(priv->lock);
  return priv->signaller ? 1 : 0;
}

static void
gws_webrtc_src_child_proxy_init(GstChildProxyInterface *iface) {
  iface->get_child_by_name = child_proxy_get_child_by_name;
  iface->get_child_by_index = child_proxy_get_child_by_index;
  iface->get_children_count = child_proxy_get_children_count;
}

static void
gws_webrtc_src_class_init(GwsWebRTCSrcClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstBinClass *bin_class = GST_BIN_CLASS(klass);
  const auto rw = static_cast<GParamFlags>(
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  const auto elem_flags
      = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  gobject_class->set_property = gws_webrtc_src_set_property;
  gobject_class->get_property = gws_webrtc_src_get_property;
  gobject_class->finalize = gws_webrtc_src_finalize;

  g_object_class_install_property(gobject_class, PROP_URI,
      g_param_spec_string("uri", "Signalling URI",
          "Where to find the producer. The scheme picks the signaller: ws:// "
          "or wss:// use our relay protocol; ?peer-id=NAME selects producer "
          "NAME, without it the first producer that appears is used (e.g. "
          "ws://127.0.0.1:8443/?peer-id=cam1). Setting it replaces the "
          "signaller, so set it before any signaller::property",
          DEFAULT_URI, rw));
  g_object_class_install_property(gobject_class, PROP_SIGNALLER,
      g_param_spec_object("signaller", "Signaller",
          "The object implementing GwsSignaller that finds the producer and "
          "carries SDP and ICE (made from uri unless set; its properties are "
          "reachable as signaller::NAME)",
          GWS_TYPE_SIGNALLER, rw));
  g_object_class_install_property(gobject_class, PROP_VIDEO_CODECS,
      gst_param_spec_array("video-codecs", "Video codecs",
          "Video codecs to accept, in order of preference, e.g. "
          "\"<H264,VP8>\" (VP8, H264, VP9). Empty: every codec with an "
          "installed depayloader (VP8, H264, VP9)",
          g_param_spec_string(
              "codec", "Codec", "A video codec name", nullptr, elem_flags),
          rw));
  g_object_class_install_property(gobject_class, PROP_AUDIO_CODECS,
      gst_param_spec_array("audio-codecs", "Audio codecs",
          "Audio codecs to accept, in order of preference, e.g. \"<OPUS>\". "
          "Empty: every codec with an installed depayloader",
          g_param_spec_string(
              "codec", "Codec", "An audio codec name", nullptr, elem_flags),
          rw));
  g_object_class_install_property(gobject_class, PROP_LATENCY,
      g_param_spec_uint("latency", "Jitterbuffer latency (ms)",
          "How long received packets wait to be reordered before decoding, "
          "in ms. Default 50: enough for LAN and Wi-Fi jitter while keeping "
          "setup and glass-to-glass delay low (webrtcbin's 200 ms default "
          "delays the first frame and every frame by 200 ms). Raise it for "
          "lossy or long-distance links",
          0, G_MAXUINT, DEFAULT_LATENCY_MS, rw));
  g_object_class_install_property(gobject_class, PROP_ICE_ADDRESSES,
      g_param_spec_string("ice-addresses", "ICE addresses",
          "Comma-separated local IP addresses ICE may use, e.g. "
          "\"192.168.1.10\" on a multi-homed box or \"127.0.0.1\" for "
          "loopback (which ICE skips unless listed). Empty: all interfaces",
          nullptr, rw));
  g_object_class_install_property(gobject_class, PROP_STUN_SERVER,
      g_param_spec_string("stun-server", "STUN server",
          "STUN server as stun://host:port. None by default: nothing is "
          "contacted on the internet unless configured",
          nullptr, rw));
  g_object_class_install_property(gobject_class, PROP_TURN_SERVERS,
      gst_param_spec_array("turn-servers", "TURN servers",
          "TURN servers as turn(s)://user:password@host:port, e.g. "
          "\"<\\\"turn://u:p@turn.lan:3478\\\">\". None by default",
          g_param_spec_string(
              "turn-server", "TURN server", "A TURN URI", nullptr, elem_flags),
          rw));

  element_class->change_state = gws_webrtc_src_change_state;
  bin_class->handle_message = gws_webrtc_src_handle_message;

  gst_element_class_add_static_pad_template(element_class, &video_template);
  gst_element_class_add_static_pad_template(element_class, &audio_template);
  gst_element_class_set_static_metadata(element_class,
      "WebRTC consumer (gst-webrtc-session)", "Source/Network/WebRTC",
      "Receives audio and video from a WebRTC producer found through a "
      "signaller; decodes unless downstream wants the encoded stream",
      "gst-webrtc-session developers");

  GST_DEBUG_CATEGORY_INIT(gws_webrtc_src_debug, "webrtcsrc", 0,
      "gst-webrtc-session WebRTC consumer");
}
