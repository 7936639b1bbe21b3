/* WHIP and WHEP end to end with media, in one process inside a private
 * network namespace (run-netns.sh: `unshare -n`, lo up; ICE on 127.0.0.1).
 *
 *  - WHIP: webrtcsink + our WHIP client publishes to webrtcsrc + our WHIP
 *    server; video and audio frames are decoded; stopping the publisher
 *    DELETEs the session and the server side ends it.
 *  - WHEP: webrtcsink + our WHEP server serves two viewers at once. Each
 *    viewer is our WHEP client driving a bare webrtcbin that offers recvonly
 *    (what webrtcsrc does once it can offer, see docs/whip-whep.md); video
 *    and audio RTP arrives and is decoded; a viewer's DELETE ends its
 *    session only.
 *
 * The elements come from the webrtcsession plugin (GST_PLUGIN_PATH). The
 * test makes the signallers itself (to watch their signals) and hands them
 * over through the elements' "signaller" property. This executable exports
 * its symbols (--export-dynamic) so the plugin's copy of the signaller
 * library binds to ours: one GType per signaller type. */
#include "gws-whip.h"
#include "whip-test-util.h"

#include <gst/gst.h>
#include <nice/nice.h>

#include <atomic>
#include <cstdlib>
#include <future>
#include <thread>

using namespace whiptest;

namespace {

/* Counts decoded buffers per kind. */
struct Counter {
  std::mutex lock;
  std::condition_variable cond;
  std::map<std::string, int> frames; /* "video" / "audio" */

  void add(const std::string &kind) {
    std::lock_guard<std::mutex> g(lock);
    frames[kind]++;
    cond.notify_all();
  }
  bool wait(const std::string &kind, int n) {
    std::unique_lock<std::mutex> g(lock);
    return cond.wait_for(
        g, std::chrono::seconds(20), [&]() { return frames[kind] >= n; });
  }
  int get(const std::string &kind) {
    std::lock_guard<std::mutex> g(lock);
    return frames[kind];
  }
};

GstPadProbeReturn
count_probe(GstPad *pad, GstPadProbeInfo *, gpointer data) {
  auto *c = static_cast<Counter *>(data);
  GstCaps *caps = gst_pad_get_current_caps(pad);
  if (caps) {
    const char *name = gst_structure_get_name(gst_caps_get_structure(caps, 0));
    if (g_str_has_prefix(name, "video/x-raw"))
      c->add("video");
    else if (g_str_has_prefix(name, "audio/x-raw"))
      c->add("audio");
    gst_caps_unref(caps);
  }
  return GST_PAD_PROBE_OK;
}

/* Links a new decoded pad to a fakesink that counts buffers. */
void
link_counting_sink(GstElement *bin, GstPad *pad, Counter *c) {
  GstElement *q = gst_element_factory_make("queue", nullptr);
  GstElement *sink = gst_element_factory_make("fakesink", nullptr);
  g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
  gst_bin_add_many(GST_BIN(bin), q, sink, nullptr);
  gst_element_link(q, sink);
  GstPad *sinkpad = gst_element_get_static_pad(sink, "sink");
  gst_pad_add_probe(
      sinkpad, GST_PAD_PROBE_TYPE_BUFFER, count_probe, c, nullptr);
  gst_object_unref(sinkpad);
  gst_element_sync_state_with_parent(sink);
  gst_element_sync_state_with_parent(q);
  GstPad *qpad = gst_element_get_static_pad(q, "sink");
  gst_pad_link(pad, qpad);
  gst_object_unref(qpad);
}

GstElement *
launch(const std::string &desc) {
  GError *error = nullptr;
  GstElement *p = gst_parse_launch(desc.c_str(), &error);
  EXPECT_NE(p, nullptr) << desc << ": " << (error ? error->message : "");
  if (error)
    g_error_free(error);
  if (p && !GST_IS_PIPELINE(p)) {
    GstElement *pipe = gst_pipeline_new(nullptr);
    gst_bin_add(GST_BIN(pipe), p);
    p = pipe;
  }
  return p;
}

/* What the receivers' buses carried besides errors (warnings, element
 * messages by name, EOS). */
struct BusLog {
  std::mutex lock;
  std::condition_variable cond;
  std::vector<std::string> warnings;
  std::map<std::string, int> elements;
  int eos = 0;

  void reset() {
    std::lock_guard<std::mutex> g(lock);
    warnings.clear();
    elements.clear();
    eos = 0;
  }
  bool wait_element(const std::string &name) {
    std::unique_lock<std::mutex> g(lock);
    return cond.wait_for(
        g, std::chrono::seconds(20), [&]() { return elements[name] > 0; });
  }
};
BusLog bus_log;

/* A bus watch that fails the test on an error message. */
std::atomic<bool> bus_error{false};
GstBusSyncReply
on_bus(GstBus *, GstMessage *msg, gpointer name) {
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_WARNING) {
    GError *err = nullptr;
    gst_message_parse_warning(msg, &err, nullptr);
    std::lock_guard<std::mutex> g(bus_log.lock);
    bus_log.warnings.push_back(err->message);
    bus_log.cond.notify_all();
    g_error_free(err);
  } else if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ELEMENT
             && gst_message_get_structure(msg)) {
    std::lock_guard<std::mutex> g(bus_log.lock);
    bus_log.elements[gst_structure_get_name(gst_message_get_structure(msg))]++;
    bus_log.cond.notify_all();
  } else if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS) {
    std::lock_guard<std::mutex> g(bus_log.lock);
    bus_log.eos++;
    bus_log.cond.notify_all();
  }
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    GError *err = nullptr;
    gchar *dbg = nullptr;
    gst_message_parse_error(msg, &err, &dbg);
    ADD_FAILURE() << static_cast<const char *>(name) << ": " << err->message
                  << " (" << (dbg ? dbg : "") << ")";
    bus_error = true;
    g_error_free(err);
    g_free(dbg);
  }
  return GST_BUS_PASS;
}

void
watch(GstElement *pipeline, const char *name) {
  GstBus *bus = gst_element_get_bus(pipeline);
  gst_bus_set_sync_handler(bus, on_bus, const_cast<char *>(name), nullptr);
  gst_object_unref(bus);
}

/* Sets @pipeline to NULL; a state change that does not finish within 20 s
 * is a deadlock: report it and end the process (a hang tells nobody
 * anything). */
void
stop_pipeline(GstElement *pipeline, const char *what) {
  std::promise<void> done;
  std::future<void> finished = done.get_future();
  std::thread t([&]() {
    gst_element_set_state(pipeline, GST_STATE_NULL);
    done.set_value();
  });
  if (finished.wait_for(std::chrono::seconds(20))
      != std::future_status::ready) {
    fprintf(stderr,
        "FAILED: %s did not reach NULL within 20 s (deadlock while "
        "stopping)\n",
        what);
    fflush(stderr);
    std::_Exit(1);
  }
  t.join();
}

const char *kProducer
    = "webrtcsink name=ws ice-addresses=127.0.0.1 "
      "videotestsrc is-live=true pattern=ball ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! ws.video_0 "
      "audiotestsrc is-live=true wave=sine ! "
      "audio/x-raw,rate=48000,channels=2 ! ws.audio_0";

std::string
endpoint_of(GwsSignaller *server) {
  gchar *url = nullptr;
  g_object_get(server, "endpoint-url", &url, nullptr);
  std::string out = url ? url : "";
  g_free(url);
  return out;
}

} // namespace

TEST(WhipE2E, WebrtcsinkPublishesToWebrtcsrcOverWhip) {
  /* The receiving side: webrtcsrc with our WHIP server. */
  GstElement *rx = launch("webrtcsrc name=src ice-addresses=127.0.0.1");
  ASSERT_NE(rx, nullptr);
  watch(rx, "receiver");
  GstElement *src = gst_bin_get_by_name(GST_BIN(rx), "src");
  GwsSignaller *server
      = gws_signaller_new_for_uri("whip-server://127.0.0.1:0/whip/cam1",
          GWS_SIGNALLER_ROLE_CONSUMER, nullptr);
  ASSERT_NE(server, nullptr);
  g_object_set(server, "token", "pub-token", nullptr);
  Recorder srec(server);
  g_object_set(src, "signaller", server, nullptr);
  Counter counter;
  using Ctx = std::pair<GstElement *, Counter *>;
  Ctx ctx(rx, &counter);
  g_signal_connect(src, "pad-added",
      cb([](GstElement *, GstPad *pad, gpointer data) {
        auto *c = static_cast<Ctx *>(data);
        link_counting_sink(c->first, pad, c->second);
      }),
      &ctx);
  ASSERT_NE(
      gst_element_set_state(rx, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  ASSERT_TRUE(srec.wait("connection-changed"));
  std::string ep = endpoint_of(server);

  /* The publisher: webrtcsink with our WHIP client. */
  GstElement *tx = launch(kProducer);
  ASSERT_NE(tx, nullptr);
  watch(tx, "publisher");
  GstElement *ws = gst_bin_get_by_name(GST_BIN(tx), "ws");
  GwsSignaller *client = gws_signaller_new_for_uri(
      ("whip+" + ep).c_str(), GWS_SIGNALLER_ROLE_PRODUCER, nullptr);
  ASSERT_NE(client, nullptr);
  g_object_set(client, "token", "pub-token", nullptr);
  Recorder crec(client);
  g_object_set(ws, "signaller", client, nullptr);
  ASSERT_NE(
      gst_element_set_state(tx, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);

  EXPECT_TRUE(crec.wait("session-description"));
  EXPECT_TRUE(srec.wait("session-started"));
  EXPECT_TRUE(counter.wait("video", 30)) << counter.get("video");
  EXPECT_TRUE(counter.wait("audio", 30)) << counter.get("audio");
  EXPECT_EQ(crec.count_of("error"), 0u);

  /* The publisher stops: DELETE, and the server side ends the session. */
  stop_pipeline(tx, "the publishing webrtcsink (one live WHIP session)");
  Recorder::Event ended;
  EXPECT_TRUE(srec.wait("session-ended", &ended));
  EXPECT_NE(ended.a.find("DELETE"), std::string::npos) << ended.a;

  stop_pipeline(rx, "the receiving webrtcsrc");
  gst_object_unref(ws);
  gst_object_unref(src);
  gst_object_unref(tx);
  gst_object_unref(rx);
  g_object_unref(client);
  g_object_unref(server);
  EXPECT_FALSE(bus_error);
}

namespace {

/* A webrtcsink publishing video and audio with our WHIP client to @ep. */
struct Publisher {
  explicit Publisher(const std::string &ep) {
    pipeline = launch(kProducer);
    watch(pipeline, "publisher");
    GstElement *ws = gst_bin_get_by_name(GST_BIN(pipeline), "ws");
    client = gws_signaller_new_for_uri(
        ("whip+" + ep).c_str(), GWS_SIGNALLER_ROLE_PRODUCER, nullptr);
    rec = std::make_unique<Recorder>(client);
    g_object_set(ws, "signaller", client, nullptr);
    gst_object_unref(ws);
    gst_element_set_state(pipeline, GST_STATE_PLAYING);
  }
  ~Publisher() {
    stop_pipeline(pipeline, "a publishing webrtcsink");
    rec.reset();
    gst_object_unref(pipeline);
    g_object_unref(client);
  }
  GstElement *pipeline = nullptr;
  GwsSignaller *client = nullptr;
  std::unique_ptr<Recorder> rec;
};

/* A webrtcsrc with our WHIP server on 127.0.0.1; every pad it adds is
 * counted and linked to a counting sink. */
struct Receiver {
  explicit Receiver(const char *uri = "whip-server://127.0.0.1:0/whip") {
    pipeline = launch("webrtcsrc name=src ice-addresses=127.0.0.1");
    watch(pipeline, "receiver");
    src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
    server
        = gws_signaller_new_for_uri(uri, GWS_SIGNALLER_ROLE_CONSUMER, nullptr);
    rec = std::make_unique<Recorder>(server);
    g_object_set(src, "signaller", server, nullptr);
    g_signal_connect(src, "pad-added",
        cb([](GstElement *, GstPad *pad, gpointer data) {
          auto *r = static_cast<Receiver *>(data);
          {
            std::lock_guard<std::mutex> g(r->lock);
            r->pads.push_back(GST_PAD_NAME(pad));
          }
          link_counting_sink(r->pipeline, pad, &r->counter);
        }),
        this);
    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    EXPECT_TRUE(rec->wait("connection-changed"));
    endpoint = endpoint_of(server);
  }
  ~Receiver() {
    stop_pipeline(pipeline, "the receiving webrtcsrc");
    rec.reset();
    gst_object_unref(src);
    gst_object_unref(pipeline);
    g_object_unref(server);
  }
  std::vector<std::string> pad_names() {
    std::lock_guard<std::mutex> g(lock);
    return pads;
  }
  /* Children of webrtcsrc made by @factory. */
  int children(const char *factory) {
    int n = 0;
    GstIterator *it = gst_bin_iterate_elements(GST_BIN(src));
    GValue v = G_VALUE_INIT;
    while (gst_iterator_next(it, &v) == GST_ITERATOR_OK) {
      GstElementFactory *f
          = gst_element_get_factory(GST_ELEMENT(g_value_get_object(&v)));
      if (f && g_strcmp0(GST_OBJECT_NAME(f), factory) == 0)
        n++;
      g_value_reset(&v);
    }
    g_value_unset(&v);
    gst_iterator_free(it);
    return n;
  }

  GstElement *pipeline = nullptr;
  GstElement *src = nullptr;
  GwsSignaller *server = nullptr;
  std::unique_ptr<Recorder> rec;
  std::string endpoint;
  Counter counter;
  std::mutex lock;
  std::vector<std::string> pads;
};

} // namespace

/* Issue 13, bug 1: a publisher whose offer the pipeline cannot take gets
 * 422 with the reason; the element warns (and posts gws-session-failed),
 * never an error, and the next publisher is received. */
TEST(WhipE2E, BadPublisherIsRefusedAndTheNextOneIsReceived) {
  bus_error = false;
  bus_log.reset();
  Receiver rx;
  ASSERT_FALSE(rx.endpoint.empty());

  std::string bad = make_sdp("sendonly", "badp");
  bad.replace(bad.find("VP8/90000"), 9, "XYZ/90000");
  HttpResponse r = http("POST", rx.endpoint, "application/sdp", bad);
  EXPECT_EQ(r.status, 422u) << r.body;
  EXPECT_NE(r.body.find("no common video codec"), std::string::npos) << r.body;
  EXPECT_TRUE(bus_log.wait_element("gws-session-failed"));
  EXPECT_FALSE(bus_error) << "a bad publisher posted an ERROR";
  {
    std::lock_guard<std::mutex> g(bus_log.lock);
    EXPECT_FALSE(bus_log.warnings.empty());
  }
  GstState state = GST_STATE_NULL;
  gst_element_get_state(rx.pipeline, &state, nullptr, 0);
  EXPECT_EQ(state, GST_STATE_PLAYING);

  /* The endpoint still serves. */
  {
    Publisher good(rx.endpoint);
    EXPECT_TRUE(good.rec->wait("session-description"));
    EXPECT_TRUE(rx.counter.wait("video", 30)) << rx.counter.get("video");
    EXPECT_TRUE(rx.counter.wait("audio", 30)) << rx.counter.get("audio");
  }
  EXPECT_FALSE(bus_error);
}

namespace {

/* A WHEP viewer: our WHEP client signaller driving a bare webrtcbin that
 * offers recvonly video + audio, answers come back as session-description.
 * This is what webrtcsrc does once it can offer (the hook). */
class Viewer {
 public:
  explicit Viewer(const std::string &endpoint) {
    pipeline_ = gst_pipeline_new(nullptr);
    watch(pipeline_, "viewer");
    webrtc_ = gst_element_factory_make("webrtcbin", nullptr);
    g_object_set(
        webrtc_, "bundle-policy", 3 /* max-bundle */, "latency", 0, nullptr);
    gst_bin_add(GST_BIN(pipeline_), webrtc_);
    GObject *ice = nullptr;
    g_object_get(webrtc_, "ice-agent", &ice, nullptr);
    NiceAgent *agent = nullptr;
    g_object_get(ice, "agent", &agent, nullptr);
    NiceAddress addr;
    nice_address_init(&addr);
    nice_address_set_from_string(&addr, "127.0.0.1");
    nice_agent_add_local_address(agent, &addr);
    g_object_unref(agent);
    ice_ = ice;

    auto add_trans = [this](const char *caps) {
      GstCaps *c = gst_caps_from_string(caps);
      GstWebRTCRTPTransceiver *t = nullptr;
      g_signal_emit_by_name(webrtc_, "add-transceiver",
          GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, c, &t);
      gst_caps_unref(c);
      if (t)
        gst_object_unref(t);
    };
    add_trans("application/x-rtp,media=video,encoding-name=VP8,"
              "payload=96,clock-rate=90000");
    add_trans("application/x-rtp,media=audio,encoding-name=OPUS,"
              "payload=111,clock-rate=48000");
    g_signal_connect(webrtc_, "pad-added",
        cb([](GstElement *, GstPad *pad, Viewer *v) {
          if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC)
            return;
          GstElement *dec = gst_element_factory_make("decodebin", nullptr);
          g_signal_connect(dec, "pad-added",
              cb([](GstElement *, GstPad *p, Viewer *v) {
                link_counting_sink(v->pipeline_, p, &v->counter);
              }),
              v);
          gst_bin_add(GST_BIN(v->pipeline_), dec);
          gst_element_sync_state_with_parent(dec);
          GstPad *sink = gst_element_get_static_pad(dec, "sink");
          gst_pad_link(pad, sink);
          gst_object_unref(sink);
        }),
        this);
    g_signal_connect(webrtc_, "on-ice-candidate",
        cb([](GstElement *, guint mline, gchar *cand, Viewer *v) {
          std::lock_guard<std::mutex> g(v->lock_);
          if (!v->sid_.empty())
            gws_signaller_add_ice(
                v->sig, v->sid_.c_str(), cand, mline, nullptr);
        }),
        this);

    sig = gws_signaller_new_for_uri(
        ("whep+" + endpoint).c_str(), GWS_SIGNALLER_ROLE_CONSUMER, nullptr);
    rec = std::make_unique<Recorder>(sig);
    rec->on_event = [this](const Recorder::Event &e) {
      if (e.name == "session-started")
        offer(e.session_id);
      else if (e.name == "session-description")
        answer(e.a);
    };
    gst_element_set_state(pipeline_, GST_STATE_PLAYING);
    gws_signaller_start(sig);
  }
  ~Viewer() {
    gws_signaller_stop(sig);
    gst_element_set_state(pipeline_, GST_STATE_NULL);
    rec.reset();
    g_object_unref(sig);
    g_object_unref(ice_);
    gst_object_unref(pipeline_);
  }

  GwsSignaller *sig = nullptr;
  std::unique_ptr<Recorder> rec;
  Counter counter;

 private:
  void offer(const std::string &sid) {
    {
      std::lock_guard<std::mutex> g(lock_);
      sid_ = sid;
    }
    GstPromise *p = gst_promise_new_with_change_func(
        [](GstPromise *p, gpointer data) {
          auto *v = static_cast<Viewer *>(data);
          GstWebRTCSessionDescription *o = nullptr;
          gst_structure_get(gst_promise_get_reply(p), "offer",
              GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &o, nullptr);
          gst_promise_unref(p);
          std::string sid;
          {
            std::lock_guard<std::mutex> g(v->lock_);
            sid = v->sid_;
          }
          gws_signaller_send_sdp(v->sig, sid.c_str(), o);
          g_signal_emit_by_name(
              v->webrtc_, "set-local-description", o, nullptr);
          gst_webrtc_session_description_free(o);
        },
        this, nullptr);
    g_signal_emit_by_name(webrtc_, "create-offer", nullptr, p);
  }
  void answer(const std::string &text) {
    GstWebRTCSessionDescription *a
        = make_desc(GST_WEBRTC_SDP_TYPE_ANSWER, text);
    g_signal_emit_by_name(webrtc_, "set-remote-description", a, nullptr);
    gst_webrtc_session_description_free(a);
  }

  GstElement *pipeline_ = nullptr;
  GstElement *webrtc_ = nullptr;
  GObject *ice_ = nullptr;
  std::mutex lock_;
  std::string sid_;
};

} // namespace

TEST(WhepE2E, WebrtcsinkServesTwoWhepViewers) {
  GstElement *tx = launch(kProducer);
  ASSERT_NE(tx, nullptr);
  watch(tx, "producer");
  GstElement *ws = gst_bin_get_by_name(GST_BIN(tx), "ws");
  GwsSignaller *server = gws_signaller_new_for_uri(
      "whep-server://127.0.0.1:0/whep", GWS_SIGNALLER_ROLE_PRODUCER, nullptr);
  ASSERT_NE(server, nullptr);
  Recorder srec(server);
  g_object_set(ws, "signaller", server, nullptr);
  ASSERT_NE(
      gst_element_set_state(tx, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  ASSERT_TRUE(srec.wait("connection-changed"));
  std::string ep = endpoint_of(server);

  auto a = std::make_unique<Viewer>(ep);
  auto b = std::make_unique<Viewer>(ep);
  for (Viewer *v : {a.get(), b.get()}) {
    EXPECT_TRUE(v->rec->wait("session-description"));
    EXPECT_TRUE(v->counter.wait("video", 30)) << v->counter.get("video");
    EXPECT_TRUE(v->counter.wait("audio", 30)) << v->counter.get("audio");
    EXPECT_EQ(v->rec->count_of("error"), 0u);
  }
  EXPECT_TRUE(srec.wait("session-requested", nullptr, 2));

  /* Viewer a leaves (DELETE): only its session ends; b keeps receiving. */
  a.reset();
  Recorder::Event ended;
  EXPECT_TRUE(srec.wait("session-ended", &ended));
  int before = b->counter.get("video");
  EXPECT_TRUE(b->counter.wait("video", before + 30));
  EXPECT_EQ(srec.count_of("session-ended"), 1u);

  b.reset();
  stop_pipeline(tx, "the WHEP-serving webrtcsink");
  gst_object_unref(ws);
  gst_object_unref(tx);
  g_object_unref(server);
  EXPECT_FALSE(bus_error);
}

namespace {

/* Waits until @pred holds (a state no event announces, like the bin's
 * children after a session closed), polling every 50 ms, at most 10 s. */
template <typename Pred>
bool
eventually(Pred pred) {
  gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
  while (!pred()) {
    if (g_get_monotonic_time() > deadline)
      return false;
    g_usleep(50 * 1000);
  }
  return true;
}

} // namespace

/* Issue 13, bug 2, and issue 14: publishers one after the other on one
 * WHIP endpoint. The element stays PLAYING and posts no EOS between them;
 * the ended session leaves nothing in the bin (no webrtcbin, depayloader
 * or decodebin); the next publisher's streams continue on video_0 and
 * audio_0, the pads the application linked. */
TEST(WhipE2E, PublishersInSequenceContinueOnTheSamePads) {
  bus_error = false;
  bus_log.reset();
  Receiver rx;
  ASSERT_FALSE(rx.endpoint.empty());
  for (int round = 0; round < 3; round++) {
    SCOPED_TRACE("publisher " + std::to_string(round + 1));
    int video = rx.counter.get("video"), audio = rx.counter.get("audio");
    {
      Publisher pub(rx.endpoint);
      EXPECT_TRUE(pub.rec->wait("session-description"));
      EXPECT_TRUE(rx.counter.wait("video", video + 30));
      EXPECT_TRUE(rx.counter.wait("audio", audio + 30));
    }
    /* It left (DELETE): its branch goes, the pads stay. */
    EXPECT_TRUE(rx.rec->wait("session-ended", nullptr, round + 1));
    EXPECT_TRUE(eventually([&]() {
      return rx.children("webrtcbin") == 0 && rx.children("decodebin") == 0
             && rx.children("rtpvp8depay") == 0
             && rx.children("rtpopusdepay") == 0;
    })) << "webrtcbin "
        << rx.children("webrtcbin") << ", decodebin "
        << rx.children("decodebin");
    EXPECT_EQ(rx.children("input-selector"), 2);
    std::vector<std::string> pads = rx.pad_names();
    EXPECT_EQ(pads.size(), 2u);
    for (const auto &p : pads)
      EXPECT_TRUE(p == "video_0" || p == "audio_0") << p;
    GstState state = GST_STATE_NULL;
    gst_element_get_state(rx.pipeline, &state, nullptr, 0);
    EXPECT_EQ(state, GST_STATE_PLAYING);
    std::lock_guard<std::mutex> g(bus_log.lock);
    EXPECT_EQ(bus_log.eos, 0) << "EOS between publishers";
  }
  EXPECT_FALSE(bus_error);
}

namespace {

/* Lets libnice gather on 127.0.0.1 (it skips loopback by itself). Returns
 * the ice-agent, which must stay referenced while the webrtcbin lives. */
GObject *
add_loopback(GstElement *webrtc) {
  GObject *ice = nullptr;
  g_object_get(webrtc, "ice-agent", &ice, nullptr);
  NiceAgent *agent = nullptr;
  g_object_get(ice, "agent", &agent, nullptr);
  NiceAddress addr;
  nice_address_init(&addr);
  nice_address_set_from_string(&addr, "127.0.0.1");
  nice_agent_add_local_address(agent, &addr);
  g_object_unref(agent);
  return ice;
}

/* Gives every m-line but the first its own ice-ufrag/ice-pwd, the way
 * aiortc offers audio + video in one BUNDLE group (RFC 8843 allows it in
 * an initial offer). ICE then runs on the first m-line's credentials. */
std::string
with_own_transport_per_mline(std::string sdp) {
  size_t first = sdp.find("\r\nm=");
  size_t at = sdp.find("\r\nm=", first + 1);
  EXPECT_NE(at, std::string::npos) << "one m-line only: " << sdp;
  int n = 0;
  while (at != std::string::npos) {
    std::string tag = std::to_string(n++);
    for (auto [key, value] :
        {std::pair<std::string, std::string>{"a=ice-ufrag:", "own" + tag},
            {"a=ice-pwd:", "ownpassword0123456789ab" + tag}}) {
      size_t k = sdp.find(key, at);
      size_t next = sdp.find("\r\nm=", at + 1);
      EXPECT_TRUE(
          k != std::string::npos && (next == std::string::npos || k < next))
          << key << " missing: " << sdp;
      if (k == std::string::npos || (next != std::string::npos && k > next))
        return sdp;
      size_t end = sdp.find("\r\n", k);
      sdp.replace(k + key.size(), end - k - key.size(), value);
    }
    at = sdp.find("\r\nm=", at + 1);
  }
  return sdp;
}

/* A bare webrtcbin publishing VP8 + Opus the WHIP way: gather completely,
 * POST the offer (edited by @edit), take the 201's answer. */
class BarePublisher {
 public:
  BarePublisher() {
    pipeline_ = launch(
        "webrtcbin name=w bundle-policy=max-bundle latency=0 "
        "videotestsrc is-live=true ! video/x-raw,width=320,height=240 ! "
        "vp8enc deadline=1 ! rtpvp8pay pt=96 ! w. "
        "audiotestsrc is-live=true ! opusenc ! rtpopuspay pt=111 ! w.");
    watch(pipeline_, "bare publisher");
    webrtc_ = gst_bin_get_by_name(GST_BIN(pipeline_), "w");
    ice_ = add_loopback(webrtc_);
    /* Fired once every stream has caps: only then does the offer list
     * them all. */
    g_signal_connect(webrtc_, "on-negotiation-needed",
        cb([](GstElement *, BarePublisher *p) {
          std::lock_guard<std::mutex> g(p->lock_);
          p->negotiation_needed_ = true;
          p->cond_.notify_all();
        }),
        this);
    g_signal_connect(webrtc_, "notify::ice-gathering-state",
        cb([](GstElement *w, GParamSpec *, BarePublisher *p) {
          GstWebRTCICEGatheringState st;
          g_object_get(w, "ice-gathering-state", &st, nullptr);
          std::lock_guard<std::mutex> g(p->lock_);
          p->gathered_ = st == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE;
          p->cond_.notify_all();
        }),
        this);
    gst_element_set_state(pipeline_, GST_STATE_PLAYING);
  }
  ~BarePublisher() {
    stop_pipeline(pipeline_, "the bare publisher");
    g_object_unref(ice_);
    gst_object_unref(webrtc_);
    gst_object_unref(pipeline_);
  }

  /* Makes the offer and waits for complete gathering; returns its text. */
  std::string offer() {
    {
      std::unique_lock<std::mutex> g(lock_);
      EXPECT_TRUE(
          cond_.wait_for(g, kWait, [this]() { return negotiation_needed_; }));
    }
    GstPromise *p = gst_promise_new();
    g_signal_emit_by_name(webrtc_, "create-offer", nullptr, p);
    gst_promise_wait(p);
    GstWebRTCSessionDescription *o = nullptr;
    gst_structure_get(gst_promise_get_reply(p), "offer",
        GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &o, nullptr);
    gst_promise_unref(p);
    EXPECT_NE(o, nullptr);
    if (!o)
      return "";
    g_signal_emit_by_name(webrtc_, "set-local-description", o, nullptr);
    gst_webrtc_session_description_free(o);
    {
      std::unique_lock<std::mutex> g(lock_);
      EXPECT_TRUE(cond_.wait_for(g, kWait, [this]() { return gathered_; }));
    }
    GstWebRTCSessionDescription *local = nullptr;
    g_object_get(webrtc_, "local-description", &local, nullptr);
    std::string text = desc_text(local);
    gst_webrtc_session_description_free(local);
    return text;
  }
  void answer(const std::string &text) {
    GstWebRTCSessionDescription *a
        = make_desc(GST_WEBRTC_SDP_TYPE_ANSWER, text);
    g_signal_emit_by_name(webrtc_, "set-remote-description", a, nullptr);
    gst_webrtc_session_description_free(a);
  }
  void add_candidate(guint mline, const char *candidate) {
    g_signal_emit_by_name(webrtc_, "add-ice-candidate", mline, candidate);
  }

 private:
  GstElement *pipeline_ = nullptr;
  GstElement *webrtc_ = nullptr;
  GObject *ice_ = nullptr;
  std::mutex lock_;
  std::condition_variable cond_;
  bool negotiation_needed_ = false;
  bool gathered_ = false;
};

} // namespace

/* Issue 13, bug 3: a BUNDLE offer whose m-lines carry their own
 * ice-ufrag/ice-pwd (aiortc's audio + video) is taken: webrtcsrc answers
 * and decodes both streams. */
TEST(WhipE2E, BundleOfferWithOwnTransportPerMlineIsReceived) {
  bus_error = false;
  Receiver rx;
  ASSERT_FALSE(rx.endpoint.empty());
  BarePublisher pub;
  std::string offer = with_own_transport_per_mline(pub.offer());
  HttpResponse r = http("POST", rx.endpoint, "application/sdp", offer);
  ASSERT_EQ(r.status, 201u) << r.body;
  pub.answer(r.body);
  EXPECT_TRUE(rx.counter.wait("video", 30)) << rx.counter.get("video");
  EXPECT_TRUE(rx.counter.wait("audio", 30)) << rx.counter.get("audio");
  EXPECT_FALSE(bus_error);
}

/* A signaller the test drives by hand, in the client role (no
 * "accepts-sessions" FALSE): it hands webrtcsrc sessions from bare webrtcbin
 * producers and passes the answer and candidates back to them. */
struct TestSignaller {
  GObject parent;
  GwsSignallerRole role;
  gchar *uri;
  std::function<void(const std::string &, const std::string &)> *on_answer;
  std::function<void(const std::string &, guint, const char *)> *on_ice;
};
struct TestSignallerClass {
  GObjectClass parent_class;
};

GType test_signaller_get_type();

void
test_signaller_iface_init(GwsSignallerInterface *iface) {
  iface->start = [](GwsSignaller *) {};
  iface->stop = [](GwsSignaller *) {};
  iface->send_sdp = [](GwsSignaller *s, const gchar *sid,
                        const GstWebRTCSessionDescription *sdp) {
    auto *t = reinterpret_cast<TestSignaller *>(s);
    if (t->on_answer && *t->on_answer)
      (*t->on_answer)(sid, desc_text(sdp));
  };
  iface->add_ice = [](GwsSignaller *s, const gchar *sid, const gchar *cand,
                       guint mline, const gchar *) {
    auto *t = reinterpret_cast<TestSignaller *>(s);
    if (cand && t->on_ice && *t->on_ice)
      (*t->on_ice)(sid, mline, cand);
  };
  iface->end_session = [](GwsSignaller *, const gchar *) {};
}

G_DEFINE_TYPE_WITH_CODE(TestSignaller, test_signaller, G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE(GWS_TYPE_SIGNALLER, test_signaller_iface_init))

void
test_signaller_init(TestSignaller *) {}

void
test_signaller_class_init(TestSignallerClass *klass) {
  GObjectClass *oc = G_OBJECT_CLASS(klass);
  oc->set_property = [](GObject *o, guint id, const GValue *v, GParamSpec *) {
    auto *t = reinterpret_cast<TestSignaller *>(o);
    if (id == 1)
      t->role = static_cast<GwsSignallerRole>(g_value_get_enum(v));
    else if (id == 2) {
      g_free(t->uri);
      t->uri = g_value_dup_string(v);
    }
  };
  oc->get_property = [](GObject *o, guint id, GValue *v, GParamSpec *) {
    auto *t = reinterpret_cast<TestSignaller *>(o);
    if (id == 1)
      g_value_set_enum(v, t->role);
    else if (id == 2)
      g_value_set_string(v, t->uri);
    else if (id == 6)
      g_value_set_boxed(v, nullptr);
    else
      g_value_set_boolean(v, FALSE); /* no capabilities: a plain client */
  };
  oc->finalize = [](GObject *o) {
    g_free(reinterpret_cast<TestSignaller *>(o)->uri);
    G_OBJECT_CLASS(test_signaller_parent_class)->finalize(o);
  };
  g_object_class_override_property(oc, 1, "role");
  g_object_class_override_property(oc, 2, "uri");
  g_object_class_override_property(oc, 3, "session-restarts");
  g_object_class_override_property(oc, 4, "consumer-offers");
  g_object_class_override_property(oc, 5, "accepts-sessions");
  g_object_class_override_property(oc, 6, "ice-servers");
}

/* Issue 13, bug 2, for a client: webrtcsrc's session ends (EOS on its
 * pads, as documented) and the signaller later brings a new session (a
 * producer that came back): its streams continue on the same video_0 and
 * audio_0 (a flush clears the EOS), no new pad, and the ended session's
 * branch is gone. */
TEST(ConsumerE2E, NewSessionAfterEosContinuesOnTheSamePads) {
  bus_error = false;
  bus_log.reset();
  GstElement *rx = launch("webrtcsrc name=src ice-addresses=127.0.0.1");
  ASSERT_NE(rx, nullptr);
  watch(rx, "receiver");
  GstElement *src = gst_bin_get_by_name(GST_BIN(rx), "src");
  auto *sig = static_cast<TestSignaller *>(g_object_new(
      test_signaller_get_type(), "role", GWS_SIGNALLER_ROLE_CONSUMER, nullptr));
  std::mutex lock;
  BarePublisher *current = nullptr;
  std::function<void(const std::string &, const std::string &)> on_answer
      = [&](const std::string &, const std::string &text) {
          std::lock_guard<std::mutex> g(lock);
          if (current)
            current->answer(text);
        };
  std::function<void(const std::string &, guint, const char *)> on_ice
      = [&](const std::string &, guint mline, const char *cand) {
          std::lock_guard<std::mutex> g(lock);
          if (current)
            current->add_candidate(mline, cand);
        };
  sig->on_answer = &on_answer;
  sig->on_ice = &on_ice;
  g_object_set(src, "signaller", sig, nullptr);
  std::vector<std::string> pads;
  Counter counter;
  struct Ctx {
    GstElement *pipeline;
    Counter *counter;
    std::mutex *lock;
    std::vector<std::string> *pads;
  } ctx{rx, &counter, &lock, &pads};
  g_signal_connect(src, "pad-added", cb([](GstElement *, GstPad *pad, Ctx *c) {
    {
      std::lock_guard<std::mutex> g(*c->lock);
      c->pads->push_back(GST_PAD_NAME(pad));
    }
    link_counting_sink(c->pipeline, pad, c->counter);
  }),
      &ctx);
  ASSERT_NE(
      gst_element_set_state(rx, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);

  for (int round = 0; round < 2; round++) {
    SCOPED_TRACE("session " + std::to_string(round + 1));
    int video = counter.get("video"), audio = counter.get("audio");
    auto pub = std::make_unique<BarePublisher>();
    std::string offer = pub->offer();
    {
      std::lock_guard<std::mutex> g(lock);
      current = pub.get();
    }
    std::string sid = "session-" + std::to_string(round);
    gws_signaller_emit_session_started(
        GWS_SIGNALLER(sig), sid.c_str(), "producer");
    GstWebRTCSessionDescription *desc
        = make_desc(GST_WEBRTC_SDP_TYPE_OFFER, offer);
    gws_signaller_emit_session_description(
        GWS_SIGNALLER(sig), sid.c_str(), desc);
    gst_webrtc_session_description_free(desc);
    EXPECT_TRUE(counter.wait("video", video + 30)) << counter.get("video");
    EXPECT_TRUE(counter.wait("audio", audio + 30)) << counter.get("audio");
    /* The producer leaves: EOS reaches the application. */
    gws_signaller_emit_session_ended(GWS_SIGNALLER(sig), sid.c_str(), "gone");
    {
      std::unique_lock<std::mutex> g(bus_log.lock);
      EXPECT_TRUE(bus_log.cond.wait_for(g, std::chrono::seconds(20),
          [&]() { return bus_log.eos == round + 1; }))
          << "EOS " << bus_log.eos;
    }
    {
      std::lock_guard<std::mutex> g(lock);
      current = nullptr;
    }
    pub.reset();
  }
  {
    std::lock_guard<std::mutex> g(lock);
    EXPECT_EQ(pads.size(), 2u);
    for (const auto &p : pads)
      EXPECT_TRUE(p == "video_0" || p == "audio_0") << p;
  }
  stop_pipeline(rx, "the receiving webrtcsrc");
  gst_object_unref(src);
  gst_object_unref(rx);
  g_object_unref(sig);
  EXPECT_FALSE(bus_error);
}

/* The same rule for the WHEP server: a viewer whose offer has no codec
 * webrtcsink sends gets 422 with the reason, the element warns, and the
 * next viewer is served. */
TEST(WhepE2E, BadViewerIsRefusedAndTheNextOneIsServed) {
  bus_error = false;
  bus_log.reset();
  GstElement *tx = launch(kProducer);
  ASSERT_NE(tx, nullptr);
  watch(tx, "producer");
  GstElement *ws = gst_bin_get_by_name(GST_BIN(tx), "ws");
  GwsSignaller *server = gws_signaller_new_for_uri(
      "whep-server://127.0.0.1:0/whep", GWS_SIGNALLER_ROLE_PRODUCER, nullptr);
  ASSERT_NE(server, nullptr);
  Recorder srec(server);
  g_object_set(ws, "signaller", server, nullptr);
  ASSERT_NE(
      gst_element_set_state(tx, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  ASSERT_TRUE(srec.wait("connection-changed"));
  std::string ep = endpoint_of(server);

  std::string bad = make_sdp("recvonly", "badv");
  bad.replace(bad.find("VP8/90000"), 9, "XYZ/90000");
  HttpResponse r = http("POST", ep, "application/sdp", bad);
  EXPECT_EQ(r.status, 422u) << r.body;
  EXPECT_NE(r.body.find("codec"), std::string::npos) << r.body;
  EXPECT_TRUE(bus_log.wait_element("gws-session-failed"));
  EXPECT_FALSE(bus_error);

  auto v = std::make_unique<Viewer>(ep);
  EXPECT_TRUE(v->rec->wait("session-description"));
  EXPECT_TRUE(v->counter.wait("video", 30)) << v->counter.get("video");
  v.reset();
  stop_pipeline(tx, "the WHEP-serving webrtcsink");
  gst_object_unref(ws);
  gst_object_unref(tx);
  g_object_unref(server);
  EXPECT_FALSE(bus_error);
}

int
main(int argc, char **argv) {
  gst_init(&argc, &argv);
  gws_whip_register_schemes();
  testing::InitGoogleTest(&argc, argv);
  if (!gst_element_factory_find("webrtcsink")) {
    fprintf(stderr, "webrtcsink not found (GST_PLUGIN_PATH?)\n");
    return 1;
  }
  return RUN_ALL_TESTS();
}
