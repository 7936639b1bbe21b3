/* A streaming thread reads `stats` and emits `restart-session` while the
 * element's session thread waits for that streaming thread (here: a
 * handler of the bin's element-added, run on the session thread while it
 * adds a peer connection, that waits for a pad probe; in real life, the
 * session thread setting a child to NULL). Neither call may wait for the
 * session thread, or both threads wait for each other (issue 13).
 *
 * Real webrtcsink and webrtcsrc, a real relay process (GWS_RELAY), on
 * 127.0.0.1 in a private network namespace (run by run-netns.sh). Every
 * wait has a timeout. */
#include "../common/relay-process.h"

#include <gio/gio.h>
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <pthread.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>

namespace {

using namespace std::chrono_literals;

using Relay = gwstest::RelayProcess;

/* Blocks the session thread of @element (the thread named @thread_name)
 * the first time it adds a child, until a streaming-thread probe has read
 * the stats and emitted restart-session (or 5 s passed). */
struct Crossing {
  GstElement *element = nullptr;
  const char *thread_name = nullptr;

  std::mutex m;
  std::condition_variable cv;
  bool go = false;       /* the session thread is waiting */
  bool done = false;     /* the probe made both calls */
  bool finished = false; /* the session thread stopped waiting */
  bool in_time = false;  /* ... because the probe was done */
  bool got_stats = false;

  static void on_element_added(GstBin *, GstElement *, gpointer data) {
    auto *c = static_cast<Crossing *>(data);
    char name[32] = "";
    pthread_getname_np(pthread_self(), name, sizeof name);
    if (std::string(name) != c->thread_name)
      return;
    std::unique_lock<std::mutex> lk(c->m);
    if (c->go)
      return;
    c->go = true;
    c->cv.notify_all();
    c->in_time = c->cv.wait_for(lk, 5s, [c] { return c->done; });
    c->finished = true;
    c->cv.notify_all();
  }

  static GstPadProbeReturn on_buffer(
      GstPad *, GstPadProbeInfo *, gpointer data) {
    auto *c = static_cast<Crossing *>(data);
    {
      std::lock_guard<std::mutex> g(c->m);
      if (!c->go || c->done)
        return GST_PAD_PROBE_OK;
    }
    /* The session thread is blocked in on_element_added now. */
    GstStructure *st = nullptr;
    g_object_get(c->element, "stats", &st, nullptr);
    gboolean restarted = FALSE;
    g_signal_emit_by_name(c->element, "restart-session", nullptr, &restarted);
    std::lock_guard<std::mutex> g(c->m);
    c->got_stats = st && gst_structure_has_field(st, "sessions");
    if (st)
      gst_structure_free(st);
    c->done = true;
    c->cv.notify_all();
    return GST_PAD_PROBE_OK;
  }

  void attach(GstElement *e, const char *name, GstElement *streaming_src) {
    element = e;
    thread_name = name;
    g_signal_connect(e, "element-added", G_CALLBACK(on_element_added), this);
    GstPad *pad = gst_element_get_static_pad(streaming_src, "src");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_buffer, this, nullptr);
    gst_object_unref(pad);
  }

  bool wait_finished(std::chrono::seconds limit) {
    std::unique_lock<std::mutex> lk(m);
    return cv.wait_for(lk, limit, [this] { return finished; });
  }
};

GstElement *
launch(const std::string &description) {
  g_autoptr(GError) err = nullptr;
  GstElement *p = gst_parse_launch(description.c_str(), &err);
  if (!p)
    ADD_FAILURE() << description << ": " << (err ? err->message : "?");
  return p;
}

GstElement *
by_name(GstElement *pipeline, const char *name) {
  return gst_bin_get_by_name(GST_BIN(pipeline), name);
}

TEST(Streaming, StatsAndRestartDoNotWaitForTheSessionThread) {
  Relay relay;
  ASSERT_TRUE(relay.start());
  std::string uri = relay.url() + "/?peer-id=cam1";

  GstElement *producer = launch(
      "videotestsrc is-live=true name=vsrc ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! "
      "webrtcsink name=ws video-codecs=<VP8> ice-addresses=127.0.0.1 uri="
      + uri);
  GstElement *consumer
      = launch("webrtcsrc name=src ice-addresses=127.0.0.1 uri=" + uri
               + " ! fakesink async=false "
                 "videotestsrc is-live=true name=tick ! "
                 "fakesink async=false");
  ASSERT_NE(producer, nullptr);
  ASSERT_NE(consumer, nullptr);
  GstElement *ws = by_name(producer, "ws");
  GstElement *vsrc = by_name(producer, "vsrc");
  GstElement *src = by_name(consumer, "src");
  GstElement *tick = by_name(consumer, "tick");

  Crossing sink_side, src_side;
  sink_side.attach(ws, "webrtcsink", vsrc);
  src_side.attach(src, "webrtcsrc", tick);

  /* The consumer asks for cam1 once the producer is registered. */
  struct Registered {
    std::mutex m;
    std::condition_variable cv;
    bool yes = false;
  } registered;
  GObject *sig = nullptr;
  g_object_get(ws, "signaller", &sig, nullptr);
  ASSERT_NE(sig, nullptr);
  gulong handler = g_signal_connect(sig, "connection-changed",
      G_CALLBACK(+[](GObject *, gboolean connected, gpointer data) {
        auto *r = static_cast<Registered *>(data);
        std::lock_guard<std::mutex> g(r->m);
        r->yes = r->yes || connected;
        r->cv.notify_all();
      }),
      &registered);
  ASSERT_NE(gst_element_set_state(producer, GST_STATE_PLAYING),
      GST_STATE_CHANGE_FAILURE);
  {
    std::unique_lock<std::mutex> lk(registered.m);
    ASSERT_TRUE(registered.cv.wait_for(lk, 10s, [&] { return registered.yes; }))
        << "the producer did not register at the relay";
  }
  g_signal_handler_disconnect(sig, handler);
  g_object_unref(sig);
  ASSERT_NE(gst_element_set_state(consumer, GST_STATE_PLAYING),
      GST_STATE_CHANGE_FAILURE);

  EXPECT_TRUE(src_side.wait_finished(30s))
      << "webrtcsrc's session thread never added a peer connection";
  EXPECT_TRUE(sink_side.wait_finished(30s))
      << "webrtcsink's session thread never added a peer connection";
  for (auto *c : {&sink_side, &src_side}) {
    std::lock_guard<std::mutex> g(c->m);
    EXPECT_TRUE(c->in_time)
        << GST_OBJECT_NAME(c->element)
        << ": stats/restart-session from a streaming thread waited for the "
           "busy session thread (deadlock)";
    if (c->done) {
      EXPECT_TRUE(c->got_stats) << GST_OBJECT_NAME(c->element);
    }
  }

  gst_element_set_state(consumer, GST_STATE_NULL);
  gst_element_set_state(producer, GST_STATE_NULL);
  for (auto *e : {ws, vsrc, src, tick})
    gst_object_unref(e);
  gst_object_unref(consumer);
  gst_object_unref(producer);
}

} // namespace

int
main(int argc, char **argv) {
  gst_init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
