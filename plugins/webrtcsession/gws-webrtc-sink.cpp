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
 */

#include "gws-webrtc-sink.h"

#include "gws-codecs.h"
#include "gws-consumer-session.h"
#include "gws-encoder-branch.h"
#include "gws-ice.h"
#include "gws-session-loop.h"
#include "gws-signaller-link.h"
#include "gws-signaller.h"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY(gws_webrtc_sink_debug);
#define GST_CAT_DEFAULT gws_webrtc_sink_debug

#define DEFAULT_URI "ws://127.0.0.1:8443"

using namespace gws;

enum {
  PROP_0,
  PROP_URI,
  PROP_SIGNALLER,
  PROP_VIDEO_CODECS,
  PROP_AUDIO_CODECS,
  PROP_ICE_ADDRESSES,
  PROP_STUN_SERVER,
  PROP_TURN_SERVERS,
  PROP_STATS,
};

enum {
  SIGNAL_CONSUMER_ADDED,
  SIGNAL_CONSUMER_REMOVED,
  N_SIGNALS,
};

static guint signals[N_SIGNALS];

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

namespace {

/* One input stream (request pad). */
struct InputStream {
  std::string name;
  MediaKind kind = MediaKind::Video;
  GstPad *ghost = nullptr;              /* owned by the element */
  GstElement *tee = nullptr;            /* our reference; a child of the bin */
  std::map<const CodecInfo *, int> pts; /* fixed payload type per codec */
  /* Guarded by SinkPrivate::lock. */
  GstCaps *caps = nullptr;
  bool eos = false;
  /* Session thread only. */
  std::map<const CodecInfo *, std::unique_ptr<EncoderBranch>> branches;

  ~InputStream() {
    branches.clear();
    if (tee)
      gst_object_unref(tee);
    if (caps)
      gst_caps_unref(caps);
  }
};

struct PendingSession {
  std::string id;
  std::string peer;
  DescPtr offer;
};

} // namespace

struct SinkPrivate;

struct _GwsWebRTCSink {
  GstBin parent;
  SinkPrivate *priv;
};

/* Lock order: `lock` is a leaf. Nothing is called out (signaller, GStreamer
 * element or pad operations, signal emission) with it held. Sessions,
 * branches and bin children change only on the session thread. */
struct SinkPrivate : public ConsumerSession::Host {
  explicit SinkPrivate(GwsWebRTCSink *s) : self(s), loop("webrtcsink") {
    g_value_init(&video_codecs, GST_TYPE_ARRAY);
    g_value_init(&audio_codecs, GST_TYPE_ARRAY);
    g_value_init(&turn_servers, GST_TYPE_ARRAY);
  }
  ~SinkPrivate() override {
    g_value_unset(&video_codecs);
    g_value_unset(&audio_codecs);
    g_value_unset(&turn_servers);
    if (signaller)
      g_object_unref(signaller);
  }

  GwsWebRTCSink *self;
  std::mutex lock;
  /* Settings (lock). */
  std::string uri = DEFAULT_URI;
  std::string uri_error;
  GwsSignaller *signaller = nullptr;
  GValue video_codecs = G_VALUE_INIT;
  GValue audio_codecs = G_VALUE_INIT;
  GValue turn_servers = G_VALUE_INIT;
  IceConfig ice;
  /* Inputs (lock for the vector and the guarded fields). */
  std::vector<std::shared_ptr<InputStream>> streams;
  guint next_video = 0;
  guint next_audio = 0;
  int next_pt = 96;
  /* webrtcbin -> session id, to route child messages (lock). */
  std::map<GstElement *, std::string> webrtcbins;

  SessionLoop loop;
  SignallerLink link;
  /* Session thread only. */
  bool accepting = false;
  std::map<std::string, std::unique_ptr<ConsumerSession>> sessions;
  std::vector<PendingSession> pending;

  GwsSignaller *ref_signaller() {
    std::lock_guard<std::mutex> g(lock);
    return signaller ? GWS_SIGNALLER(g_object_ref(signaller)) : nullptr;
  }

  /* ConsumerSession::Host */
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
      std::function<void(ConsumerSession &)> fn) override {
    loop.post([this, id, fn]() {
      auto it = sessions.find(id);
      if (it != sessions.end())
        fn(*it->second);
    });
  }
  guint link_stream(size_t index, const CodecInfo &codec, GstPad *pad,
      const std::string &session_id) override;
  void unlink_stream(
      size_t index, const CodecInfo &codec, guint output) override;
  void request_keyframe(size_t index, const CodecInfo &codec) override {
    std::shared_ptr<InputStream> s;
    {
      std::lock_guard<std::mutex> g(lock);
      if (index >= streams.size())
        return;
      s = streams[index];
    }
    auto it = s->branches.find(&codec);
    if (it != s->branches.end())
      it->second->request_keyframe();
  }
  void fail_session(const std::string &id, const std::string &reason) override {
    loop.post([this, id, reason]() { end_session(id, reason, true, true); });
  }

  /* Session thread. */
  void on_session_requested(
      const std::string &id, const std::string &peer, DescPtr offer);
  void create_session(const PendingSession &p);
  void end_session(const std::string &id, const std::string &reason,
      bool tell_remote, bool is_error);
  void process_pending();
  void teardown();
  bool streams_ready();
  std::vector<const CodecInfo *> stream_codecs(
      InputStream &s, std::string *why);
  GstStructure *make_stats();

  /* Any thread. */
  void start_signaller();
  void stop_signaller();
};

static SinkPrivate *
PRIV(GwsWebRTCSink *self) {
  return self->priv;
}

static void gws_webrtc_sink_child_proxy_init(GstChildProxyInterface *iface);

#define gws_webrtc_sink_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE(GwsWebRTCSink, gws_webrtc_sink, GST_TYPE_BIN,
    G_IMPLEMENT_INTERFACE(
        GST_TYPE_CHILD_PROXY, gws_webrtc_sink_child_proxy_init));
GST_ELEMENT_REGISTER_DEFINE(
    webrtcsink, "webrtcsink", GST_RANK_NONE, GWS_TYPE_WEBRTC_SINK);

/* ---- sessions (session thread) ---- */

bool
SinkPrivate::streams_ready() {
  std::lock_guard<std::mutex> g(lock);
  if (streams.empty())
    return false;
  for (auto &s : streams) {
    if (!s->caps)
      return false;
  }
  return true;
}

std::vector<const CodecInfo *>
SinkPrivate::stream_codecs(InputStream &s, std::string *why) {
  GstCaps *caps = nullptr;
  std::vector<const CodecInfo *> wanted;
  std::vector<std::string> rejected;
  {
    std::lock_guard<std::mutex> g(lock);
    caps = s.caps ? gst_caps_ref(s.caps) : nullptr;
    wanted = codecs_from_value(
        s.kind == MediaKind::Video ? &video_codecs : &audio_codecs, s.kind,
        &rejected);
  }
  std::vector<const CodecInfo *> out;
  if (!caps)
    return out;
  const GstStructure *st = gst_caps_get_structure(caps, 0);
  bool raw = gst_structure_has_name(st, "video/x-raw")
             || gst_structure_has_name(st, "audio/x-raw");
  if (raw) {
    std::vector<const CodecInfo *> avail = default_encode_order(s.kind);
    if (wanted.empty()) {
      out = avail;
    } else {
      for (const CodecInfo *c : wanted) {
        if (std::find(avail.begin(), avail.end(), c) != avail.end())
          out.push_back(c);
      }
    }
    if (out.empty() && why)
      *why
          = "no encoder installed for "
            + (wanted.empty() ? std::string("any codec") : codec_names(wanted));
  } else {
    const CodecInfo *c = codec_for_encoded_caps(caps);
    if (c
        && (wanted.empty()
            || std::find(wanted.begin(), wanted.end(), c) != wanted.end()))
      out.push_back(c);
    else if (why)
      *why = std::string("the pre-encoded input is ")
             + (c ? c->name : "of an unknown codec") + ", which is not in "
             + (s.kind == MediaKind::Video ? "video-codecs" : "audio-codecs");
  }
  gst_caps_unref(caps);
  return out;
}

void
SinkPrivate::on_session_requested(
    const std::string &id, const std::string &peer, DescPtr offer) {
  if (!accepting) {
    GST_DEBUG_OBJECT(self, "not running: refusing session %s", id.c_str());
    GwsSignaller *sig = ref_signaller();
    if (sig) {
      gws_signaller_end_session(sig, id.c_str());
      g_object_unref(sig);
    }
    return;
  }
  if (sessions.count(id))
    return;
  PendingSession p{id, peer, std::move(offer)};
  if (!streams_ready()) {
    GST_INFO_OBJECT(self, "session %s from %s waits for caps on every input",
        id.c_str(), peer.c_str());
    pending.push_back(std::move(p));
    return;
  }
  create_session(p);
}

void
SinkPrivate::process_pending() {
  if (!accepting || pending.empty() || !streams_ready())
    return;
  std::vector<PendingSession> todo;
  todo.swap(pending);
  for (const auto &p : todo)
    create_session(p);
}

void
SinkPrivate::create_session(const PendingSession &p) {
  std::vector<std::shared_ptr<InputStream>> inputs;
  IceConfig ice;
  {
    std::lock_guard<std::mutex> g(lock);
    inputs = streams;
    ice = this->ice;
  }
  std::vector<StreamOffer> offers;
  for (auto &s : inputs) {
    std::string why;
    StreamOffer so{s->name, s->kind, {}};
    for (const CodecInfo *c : stream_codecs(*s, &why))
      so.codecs.emplace_back(c, s->pts.at(c));
    if (so.codecs.empty()) {
      std::string msg = "cannot serve consumer " + p.peer + ": " + s->name
                        + " has no codec to offer (" + why + ")";
      GST_ELEMENT_WARNING(
          self, STREAM, CODEC_NOT_FOUND, ("%s", msg.c_str()), (nullptr));
      GwsSignaller *sig = ref_signaller();
      if (sig) {
        gws_signaller_end_session(sig, p.id.c_str());
        g_object_unref(sig);
      }
      return;
    }
    offers.push_back(std::move(so));
  }

  auto session = std::make_unique<ConsumerSession>(*this, p.id, p.peer, offers);
  GError *err = nullptr;
  if (!session->prepare(ice, &err)) {
    GST_ELEMENT_ERROR(
        self, RESOURCE, SETTINGS, ("%s", err->message), (nullptr));
    g_clear_error(&err);
    return;
  }
  {
    std::lock_guard<std::mutex> g(lock);
    webrtcbins[session->webrtcbin()] = p.id;
  }
  ConsumerSession &s = *session;
  sessions[p.id] = std::move(session);
  GST_INFO_OBJECT(self, "new consumer %s (session %s)%s", p.peer.c_str(),
      p.id.c_str(), p.offer ? ", it offered" : "");
  if (p.offer)
    s.start_answer(p.offer.get());
  else
    s.start_offer();
  /* webrtcbin carries a source (nicesrc): this bin is still a sink only. */
  GST_OBJECT_FLAG_UNSET(self, GST_ELEMENT_FLAG_SOURCE);
  GST_OBJECT_FLAG_SET(self, GST_ELEMENT_FLAG_SINK);
  g_signal_emit(
      self, signals[SIGNAL_CONSUMER_ADDED], 0, p.peer.c_str(), p.id.c_str());
}

void
SinkPrivate::end_session(const std::string &id, const std::string &reason,
    bool tell_remote, bool is_error) {
  for (auto it = pending.begin(); it != pending.end(); ++it) {
    if (it->id == id) {
      pending.erase(it);
      return;
    }
  }
  auto it = sessions.find(id);
  if (it == sessions.end())
    return;
  std::unique_ptr<ConsumerSession> session = std::move(it->second);
  sessions.erase(it);
  std::string peer = session->peer_id();
  {
    std::lock_guard<std::mutex> g(lock);
    webrtcbins.erase(session->webrtcbin());
  }
  if (is_error) {
    GST_ELEMENT_WARNING(self, STREAM, FAILED,
        ("session with consumer %s ended: %s", peer.c_str(), reason.c_str()),
        (nullptr));
  } else {
    GST_INFO_OBJECT(self, "session %s with %s ended: %s", id.c_str(),
        peer.c_str(), reason.c_str());
  }
  if (tell_remote) {
    GwsSignaller *sig = ref_signaller();
    if (sig) {
      gws_signaller_end_session(sig, id.c_str());
      g_object_unref(sig);
    }
  }
  session.reset(); /* unlinks it from the shared branches, stops webrtcbin */
  GST_OBJECT_FLAG_UNSET(self, GST_ELEMENT_FLAG_SOURCE);
  GST_OBJECT_FLAG_SET(self, GST_ELEMENT_FLAG_SINK);
  g_signal_emit(self, signals[SIGNAL_CONSUMER_REMOVED], 0, peer.c_str(),
      id.c_str(), reason.c_str());
}

guint
SinkPrivate::link_stream(size_t index, const CodecInfo &codec, GstPad *pad,
    const std::string &session_id) {
  std::shared_ptr<InputStream> s;
  {
    std::lock_guard<std::mutex> g(lock);
    if (index >= streams.size())
      return 0;
    s = streams[index];
  }
  auto it = s->branches.find(&codec);
  if (it == s->branches.end()) {
    GstCaps *caps = nullptr;
    {
      std::lock_guard<std::mutex> g(lock);
      caps = s->caps ? gst_caps_ref(s->caps) : nullptr;
    }
    bool encoded = caps && codec_for_encoded_caps(caps) != nullptr;
    if (caps)
      gst_caps_unref(caps);
    GError *err = nullptr;
    auto branch = EncoderBranch::create(GST_BIN(self), s->tee, codec,
        s->pts.at(&codec), encoded, s->name, &err);
    if (!branch) {
      GST_ELEMENT_WARNING(
          self, CORE, NEGOTIATION, ("%s", err->message), (nullptr));
      g_clear_error(&err);
      return 0;
    }
    it = s->branches.emplace(&codec, std::move(branch)).first;
  }
  guint out = it->second->attach(pad, session_id);
  if (out) {
    std::lock_guard<std::mutex> g(lock);
    webrtcbins[it->second->output_queue(out)] = session_id;
  }
  /* New webrtcbins need the pipeline latency to time their RTCP. */
  gst_element_post_message(
      GST_ELEMENT(self), gst_message_new_latency(GST_OBJECT(self)));
  return out;
}

void
SinkPrivate::unlink_stream(size_t index, const CodecInfo &codec, guint output) {
  std::shared_ptr<InputStream> s;
  {
    std::lock_guard<std::mutex> g(lock);
    if (index >= streams.size())
      return;
    s = streams[index];
  }
  auto it = s->branches.find(&codec);
  if (it == s->branches.end())
    return;
  {
    std::lock_guard<std::mutex> g(lock);
    webrtcbins.erase(it->second->output_queue(output));
  }
  it->second->detach(output);
  /* No viewer left for this codec: stop encoding it. */
  if (it->second->outputs() == 0)
    s->branches.erase(it);
}

void
SinkPrivate::teardown() {
  accepting = false;
  pending.clear();
  std::vector<std::string> ids;
  for (auto &kv : sessions)
    ids.push_back(kv.first);
  for (const auto &id : ids)
    end_session(id, "webrtcsink stopped", false, false);
  std::vector<std::shared_ptr<InputStream>> inputs;
  {
    std::lock_guard<std::mutex> g(lock);
    inputs = streams;
  }
  for (auto &s : inputs)
    s->branches.clear();
}

GstStructure *
SinkPrivate::make_stats() {
  GstStructure *st = gst_structure_new("webrtcsink-stats", "consumers",
      G_TYPE_UINT, static_cast<guint>(sessions.size()), nullptr);
  GValue branches = G_VALUE_INIT;
  gst_value_list_init(&branches, 0);
  guint encoders = 0;
  std::vector<std::shared_ptr<InputStream>> inputs;
  {
    std::lock_guard<std::mutex> g(lock);
    inputs = streams;
  }
  for (auto &s : inputs) {
    for (auto &kv : s->branches) {
      const EncoderBranch &b = *kv.second;
      if (!b.encoder_factory().empty())
        encoders++;
      GValue v = G_VALUE_INIT;
      g_value_init(&v, GST_TYPE_STRUCTURE);
      GstStructure *bs = gst_structure_new("branch", "stream", G_TYPE_STRING,
          s->name.c_str(), "codec", G_TYPE_STRING, b.codec().name, "encoder",
          G_TYPE_STRING, b.encoder_factory().c_str(), "consumers", G_TYPE_UINT,
          b.outputs(), "keyframe-requests-forwarded", G_TYPE_UINT64,
          b.keyframes_forwarded(), "keyframe-requests-dropped", G_TYPE_UINT64,
          b.keyframes_dropped(), nullptr);
      gst_value_set_structure(&v, bs);
      gst_structure_free(bs);
      gst_value_list_append_and_take_value(&branches, &v);
    }
  }
  gst_structure_set(st, "encoders", G_TYPE_UINT, encoders, nullptr);
  gst_structure_take_value(st, "branches", &branches);
  GValue sess = G_VALUE_INIT;
  gst_value_list_init(&sess, 0);
  for (auto &kv : sessions) {
    GValue v = G_VALUE_INIT;
    g_value_init(&v, GST_TYPE_STRUCTURE);
    GstStructure *ss
        = gst_structure_new("session", "id", G_TYPE_STRING, kv.first.c_str(),
            "peer-id", G_TYPE_STRING, kv.second->peer_id().c_str(), "codecs",
            G_TYPE_STRING, kv.second->describe().c_str(), nullptr);
    gst_value_set_structure(&v, ss);
    gst_structure_free(ss);
    gst_value_list_append_and_take_value(&sess, &v);
  }
  gst_structure_take_value(st, "sessions", &sess);
  return st;
}

/* ---- signaller ---- */

void
SinkPrivate::start_signaller() {
  GwsSignaller *sig = ref_signaller();
  if (!sig)
    return;
  SignallerCallbacks cb;
  cb.session_requested = [this](
                             std::string id, std::string peer, DescPtr offer) {
    loop.post(
        [this, id, peer, offer]() { on_session_requested(id, peer, offer); });
  };
  cb.session_description = [this](std::string id, DescPtr desc) {
    with_session(id,
        [desc](ConsumerSession &s) { s.on_remote_description(desc.get()); });
  };
  cb.handle_ice = [this](std::string id, guint mline, std::string cand) {
    with_session(id, [mline, cand](ConsumerSession &s) {
      s.on_remote_candidate(mline, cand);
    });
  };
  cb.session_ended = [this](std::string id, std::string reason) {
    loop.post([this, id, reason]() {
      end_session(id,
          reason.empty() ? std::string("the consumer left") : reason, false,
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
SinkPrivate::stop_signaller() {
  GwsSignaller *sig = ref_signaller();
  link.disconnect();
  if (sig) {
    gws_signaller_stop(sig);
    g_object_unref(sig);
  }
  /* No new consumer from here on; the running ones are torn down once the
   * bin's children are in READY (see change_state). */
  loop.run_sync([this]() {
    accepting = false;
    pending.clear();
  });
}

/* ---- pads ---- */

static GstPadProbeReturn
input_event_probe(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
  auto *self = GWS_WEBRTC_SINK(data);
  SinkPrivate *priv = PRIV(self);
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(event) == GST_EVENT_CAPS) {
    GstCaps *caps = nullptr;
    gst_event_parse_caps(event, &caps);
    {
      std::lock_guard<std::mutex> g(priv->lock);
      for (auto &s : priv->streams) {
        if (s->tee == GST_PAD_PARENT(pad)) {
          gst_caps_replace(&s->caps, caps);
          GST_DEBUG_OBJECT(
              self, "%s caps %" GST_PTR_FORMAT, s->name.c_str(), caps);
        }
      }
    }
    priv->loop.post([priv]() { priv->process_pending(); });
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
  {
    std::lock_guard<std::mutex> g(priv->lock);
    guint &counter = video ? priv->next_video : priv->next_audio;
    guint index = counter;
    if (name && sscanf(name, video ? "video_%u" : "audio_%u", &index) == 1)
      counter = MAX(counter, index + 1);
    else
      counter++;
    g_autofree gchar *pad_name
        = g_strdup_printf("%s_%u", video ? "video" : "audio", index);
    for (auto &o : priv->streams) {
      if (o->name == pad_name)
        return nullptr;
    }
    s->name = pad_name;
    for (const auto &c : codec_table()) {
      if (c.kind != s->kind)
        continue;
      if (priv->next_pt > 127) {
        GST_ELEMENT_WARNING(self, RESOURCE, SETTINGS,
            ("too many input streams: out of RTP payload types"), (nullptr));
        return nullptr;
      }
      s->pts[&c] = priv->next_pt++;
    }
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
  s->ghost = gst_ghost_pad_new_from_template(s->name.c_str(), tee_sink, templ);
  gst_object_unref(tee_sink);
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
  /* Sessions were negotiated with this stream: they end (consumers may
   * come back and get the new set of streams). */
  priv->loop.run_sync([priv, s]() {
    std::vector<std::string> ids;
    for (auto &kv : priv->sessions)
      ids.push_back(kv.first);
    for (const auto &id : ids)
      priv->end_session(id, "input " + s->name + " was removed", true, false);
    s->branches.clear();
    std::lock_guard<std::mutex> g(priv->lock);
    for (auto it = priv->streams.begin(); it != priv->streams.end(); ++it) {
      if (*it == s) {
        priv->streams.erase(it);
        break;
      }
    }
  });
  gst_element_remove_pad(element, pad);
  /* When the bin is disposed, its children are gone before request pads
   * are released. */
  if (GST_OBJECT_PARENT(s->tee) == GST_OBJECT(self)) {
    gst_element_set_locked_state(s->tee, TRUE);
    gst_element_set_state(s->tee, GST_STATE_NULL);
    gst_bin_remove(GST_BIN(self), s->tee);
  }
}

/* ---- GstElement / GstBin ---- */

static GstStateChangeReturn
gws_webrtc_sink_change_state(GstElement *element, GstStateChange transition) {
  auto *self = GWS_WEBRTC_SINK(element);
  SinkPrivate *priv = PRIV(self);

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
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    std::string session;
    {
      std::lock_guard<std::mutex> g(priv->lock);
      for (auto &kv : priv->webrtcbins) {
        if (src == GST_OBJECT(kv.first)
            || gst_object_has_as_ancestor(src, GST_OBJECT(kv.first))) {
          session = kv.second;
          break;
        }
      }
    }
    if (!session.empty()) {
      /* One consumer's failure ends that session only. */
      GError *err = nullptr;
      gst_message_parse_error(msg, &err, nullptr);
      priv->fail_session(session, err ? err->message : "error");
      g_clear_error(&err);
      gst_message_unref(msg);
      return;
    }
  }
  GST_BIN_CLASS(parent_class)->handle_message(bin, msg);
}

/* ---- GObject ---- */

static void
set_signaller_locked(SinkPrivate *priv, GwsSignaller *sig) {
  if (priv->signaller)
    g_object_unref(priv->signaller);
  priv->signaller = sig;
}

static void
gws_webrtc_sink_set_property(
    GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec) {
  auto *self = GWS_WEBRTC_SINK(object);
  SinkPrivate *priv = PRIV(self);

  switch (prop_id) {
    case PROP_URI: {
      const gchar *uri = g_value_get_string(value);
      GError *err = nullptr;
      GwsSignaller *sig = uri ? gws_signaller_new_for_uri(
                              uri, GWS_SIGNALLER_ROLE_PRODUCER, &err)
                              : nullptr;
      {
        std::lock_guard<std::mutex> g(priv->lock);
        priv->uri = uri ? uri : "";
        priv->uri_error
            = err ? std::string("uri ") + (uri ? uri : "") + ": " + err->message
                  : std::string();
        set_signaller_locked(priv, sig);
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
      set_signaller_locked(priv, obj ? GWS_SIGNALLER(obj) : nullptr);
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
gws_webrtc_sink_get_property(
    GObject *object, guint prop_id, GValue *value, GParamSpec *pspec) {
  auto *self = GWS_WEBRTC_SINK(object);
  SinkPrivate *priv = PRIV(self);

  if (prop_id == PROP_STATS) {
    GstStructure *st = nullptr;
    priv->loop.run_sync([&]() { st = priv->make_stats(); });
    g_value_take_boxed(value, st);
    return;
  }
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
gws_webrtc_sink_finalize(GObject *object) {
  auto *self = GWS_WEBRTC_SINK(object);
  delete self->priv;
  self->priv = nullptr;
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void
gws_webrtc_sink_init(GwsWebRTCSink *self) {
  self->priv = new SinkPrivate(self);
  GError *err = nullptr;
  self->priv->signaller = gws_signaller_new_for_uri(
      DEFAULT_URI, GWS_SIGNALLER_ROLE_PRODUCER, &err);
  if (err) {
    self->priv->uri_error = err->message;
    g_clear_error(&err);
  }
  GST_OBJECT_FLAG_SET(self, GST_ELEMENT_FLAG_SINK);
}

/* ---- GstChildProxy: "signaller::prop=value" ---- */

static GObject *
child_proxy_get_child_by_name(GstChildProxy *proxy, const gchar *name) {
  SinkPrivate *priv = PRIV(GWS_WEBRTC_SINK(proxy));
  if (g_strcmp0(name, "signaller") != 0)
    return nullptr;
  GwsSignaller *sig = priv->ref_signaller();
  return sig ? G_OBJECT(sig) : nullptr;
}

static GObject *
child_proxy_get_child_by_index(GstChildProxy *proxy, guint index) {
  if (index != 0)
    return nullptr;
  return child_proxy_get_child_by_name(proxy, "signaller");
}

static guint
child_proxy_get_children_count(GstChildProxy *proxy) {
  SinkPrivate *priv = PRIV(GWS_WEBRTC_SINK(proxy));
  std::lock_guard<std::mutex> g(priv->lock);
  return priv->signaller ? 1 : 0;
}

static void
gws_webrtc_sink_child_proxy_init(GstChildProxyInterface *iface) {
  iface->get_child_by_name = child_proxy_get_child_by_name;
  iface->get_child_by_index = child_proxy_get_child_by_index;
  iface->get_children_count = child_proxy_get_children_count;
}

static void
gws_webrtc_sink_class_init(GwsWebRTCSinkClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstBinClass *bin_class = GST_BIN_CLASS(klass);
  const auto rw = static_cast<GParamFlags>(
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  gobject_class->set_property = gws_webrtc_sink_set_property;
  gobject_class->get_property = gws_webrtc_sink_get_property;
  gobject_class->finalize = gws_webrtc_sink_finalize;

  g_object_class_install_property(gobject_class, PROP_URI,
      g_param_spec_string("uri", "Signalling URI",
          "Where to publish. The scheme picks the signaller: ws:// or wss:// "
          "use our relay protocol; ?peer-id=NAME claims the producer id NAME "
          "(e.g. ws://127.0.0.1:8443/?peer-id=cam1). Setting it replaces the "
          "signaller, so set it before any signaller::property",
          DEFAULT_URI, rw));
  g_object_class_install_property(gobject_class, PROP_SIGNALLER,
      g_param_spec_object("signaller", "Signaller",
          "The object implementing GwsSignaller that finds consumers and "
          "carries SDP and ICE (made from uri unless set; its properties are "
          "reachable as signaller::NAME)",
          GWS_TYPE_SIGNALLER, rw));
  g_object_class_install_property(gobject_class, PROP_VIDEO_CODECS,
      gst_param_spec_array("video-codecs", "Video codecs",
          "Video codecs to offer for raw input, in order of preference, "
          "e.g. \"<H264,VP8>\" (VP8, H264, VP9). Empty: every codec with an "
          "installed encoder, best encoder rank first (VP8, H264, VP9 on a "
          "stock install). Pre-encoded input is sent only if its codec is "
          "listed or the list is empty",
          g_param_spec_string("codec", "Codec", "A video codec name", nullptr,
              static_cast<GParamFlags>(
                  G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)),
          rw));
  g_object_class_install_property(gobject_class, PROP_AUDIO_CODECS,
      gst_param_spec_array("audio-codecs", "Audio codecs",
          "Audio codecs to offer for raw input, in order of preference, "
          "e.g. \"<OPUS>\". Empty: every codec with an installed encoder",
          g_param_spec_string("codec", "Codec", "An audio codec name", nullptr,
              static_cast<GParamFlags>(
                  G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)),
          rw));
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
          g_param_spec_string("turn-server", "TURN server", "A TURN URI",
              nullptr,
              static_cast<GParamFlags>(
                  G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)),
          rw));
  g_object_class_install_property(gobject_class, PROP_STATS,
      g_param_spec_boxed("stats", "Statistics",
          "consumers (uint), encoders (uint: running encoders), branches "
          "(list: stream, codec, encoder, consumers, key frame requests "
          "forwarded/dropped), sessions (list: id, peer-id, codecs)",
          GST_TYPE_STRUCTURE,
          static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  /**
   * GwsWebRTCSink::consumer-added:
   * @peer_id: the consumer's peer id
   * @session_id: the session id
   *
   * A consumer asked for a session; its webrtcbin now exists.
   */
  signals[SIGNAL_CONSUMER_ADDED] = g_signal_new("consumer-added",
      G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
      G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GwsWebRTCSink::consumer-removed:
   * @peer_id: the consumer's peer id
   * @session_id: the session id
   * @reason: why the session ended
   *
   * A session ended and its webrtcbin is gone.
   */
  signals[SIGNAL_CONSUMER_REMOVED] = g_signal_new("consumer-removed",
      G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
      G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);

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

  GST_DEBUG_CATEGORY_INIT(gws_webrtc_sink_debug, "webrtcsink", 0,
      "gst-webrtc-session WebRTC producer");
}
