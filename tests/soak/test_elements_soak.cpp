/* Soak and churn of the elements (suite 'soak'), in one process inside a
 * private network namespace (run-netns.sh; ICE on 127.0.0.1):
 *
 *  - NULL -> PLAYING -> NULL cycles of webrtcsink (WHEP server) and
 *    webrtcsrc (WHIP server): 10 each (GWS_SOAK_FULL=1: 100).
 *  - consumer sessions joining and leaving one webrtcsink (WHEP server),
 *    each a webrtcsrc (WHEP client) that must decode video before it
 *    leaves, next to one viewer that stays for the whole run and must still
 *    receive at the end: 20 (full: 1,000).
 *  - publishers one after another (webrtcsink, WHIP client) into one
 *    webrtcsrc (WHIP server); each must be decoded: 10 (full: 200).
 *
 * RSS, descriptors and threads of the process are printed at the start
 * (after a warm-up of a tenth), the middle and the end; the second half must
 * not grow (descriptors and threads exactly, RSS within allocator noise).
 * The elements come from the plugin (GST_PLUGIN_PATH); --export-dynamic
 * makes the plugin's signaller types ours. */
#include "gws-whip.h"
#include "whip-test-util.h"

#include <gst/gst.h>

#include <dirent.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <future>
#include <thread>

using namespace whiptest;

namespace {

int
scaled(int short_n, int full_n) {
  return g_getenv("GWS_SOAK_FULL") ? full_n : short_n;
}

struct Figures {
  long rss_kb = 0;
  int fds = 0;
  int threads = 0;
};

Figures
measure() {
  Figures f;
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0)
      f.rss_kb = atol(line.c_str() + 6);
    else if (line.rfind("Threads:", 0) == 0)
      f.threads = atoi(line.c_str() + 8);
  }
  if (DIR *d = opendir("/proc/self/fd")) {
    while (readdir(d))
      f.fds++;
    closedir(d);
    f.fds -= 3; /* ".", "..", the directory itself */
  }
  return f;
}

void
show(const std::string &label, const Figures &f) {
  printf("%s: rss %ld MiB, %d fds, %d threads\n", label.c_str(),
      f.rss_kb / 1024, f.fds, f.threads);
  fflush(stdout);
}

/* What an application's bus watch does: take the messages posted so far
 * (each holds its source, a session's webrtcbin say, until taken). */
void
drain(GstElement *pipeline) {
  GstBus *bus = gst_element_get_bus(pipeline);
  while (GstMessage *m = gst_bus_pop(bus))
    gst_message_unref(m);
  gst_object_unref(bus);
}

/* Records figures at the warm-up mark, the middle and the end of @n steps,
 * and judges them. */
class Levels {
 public:
  /* @drained: a pipeline that lives through the loop, whose bus is taken
   * before each snapshot as an application's bus watch would (a message
   * holds its source: an ended session's webrtcbin, with its ICE agent's
   * sockets, until the message is taken). */
  Levels(const char *what, int n, GstElement *drained = nullptr)
      : what_(what), n_(n), drained_(drained) {}
  void step(int i) {
    if (i == n_ / 10)
      show(std::string(what_) + " start (after " + std::to_string(i) + ")",
          start_ = snapshot());
    if (i == (n_ / 10 + n_) / 2)
      show(std::string(what_) + " middle (after " + std::to_string(i) + ")",
          mid_ = snapshot());
  }
  void finish() {
    /* The last session's teardown runs on the element's session thread
     * after the peer left, and a snapshot may catch a session still up
     * (the start one usually does): judge growth beyond the higher of the
     * two earlier levels, after waiting (up to 5 s) for the teardown. */
    int fds = std::max(start_.fds, mid_.fds);
    int threads = std::max(start_.threads, mid_.threads);
    /* Wait (up to 5 s) for the lower of the two levels, so the end figure
     * shows what stays, not a session still closing. */
    int settled_fds = std::min(start_.fds, mid_.fds);
    int settled_threads = std::min(start_.threads, mid_.threads);
    end_ = snapshot();
    for (int i = 0;
         i < 50
         && (end_.fds > settled_fds + 2 || end_.threads > settled_threads + 2);
         i++) {
      g_usleep(100 * 1000);
      end_ = snapshot();
    }
    show(std::string(what_) + " end (after " + std::to_string(n_) + ")", end_);
    EXPECT_LE(end_.fds, fds + 2) << what_ << ": descriptors " << start_.fds
                                 << " -> " << mid_.fds << " -> " << end_.fds;
    EXPECT_LE(end_.threads, threads + 2)
        << what_ << ": threads " << start_.threads << " -> " << mid_.threads
        << " -> " << end_.threads;
    long allowance = std::max(16L * 1024, mid_.rss_kb * 15 / 100);
    EXPECT_LE(end_.rss_kb, mid_.rss_kb + allowance)
        << what_ << ": RSS " << start_.rss_kb << " -> " << mid_.rss_kb << " -> "
        << end_.rss_kb << " kB";
  }

 private:
  Figures snapshot() {
    if (drained_)
      drain(drained_);
    return measure();
  }
  const char *what_;
  int n_;
  GstElement *drained_;
  Figures start_, mid_, end_;
};

/* Counts buffers reaching the sinks of one pipeline. */
struct Counter {
  std::mutex lock;
  std::condition_variable cond;
  long frames = 0;

  void add() {
    std::lock_guard<std::mutex> g(lock);
    frames++;
    cond.notify_all();
  }
  long get() {
    std::lock_guard<std::mutex> g(lock);
    return frames;
  }
  bool wait_for(long n) {
    std::unique_lock<std::mutex> g(lock);
    return cond.wait_for(
        g, std::chrono::seconds(20), [&]() { return frames >= n; });
  }
};

GstPadProbeReturn
count_probe(GstPad *, GstPadProbeInfo *, gpointer data) {
  static_cast<Counter *>(data)->add();
  return GST_PAD_PROBE_OK;
}

/* A pipeline receiving from webrtcsrc: each output pad gets a counting
 * queue ! fakesink, removed again (on the test's thread) when the pad
 * goes. */
struct Receiver {
  GstElement *pipeline = nullptr;
  GstElement *src = nullptr;
  Counter counter;
  std::mutex lock;
  std::map<GstPad *, std::pair<GstElement *, GstElement *>> branches;
  std::vector<std::pair<GstElement *, GstElement *>> dead;

  void reap() {
    std::vector<std::pair<GstElement *, GstElement *>> list;
    {
      std::lock_guard<std::mutex> g(lock);
      list.swap(dead);
    }
    for (auto &[q, sink] : list) {
      gst_element_set_state(sink, GST_STATE_NULL);
      gst_element_set_state(q, GST_STATE_NULL);
      gst_bin_remove_many(GST_BIN(pipeline), q, sink, nullptr);
    }
  }
};

void
on_pad_added(GstElement *, GstPad *pad, Receiver *r) {
  GstElement *q = gst_element_factory_make("queue", nullptr);
  GstElement *sink = gst_element_factory_make("fakesink", nullptr);
  g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
  gst_bin_add_many(GST_BIN(r->pipeline), q, sink, nullptr);
  gst_element_link(q, sink);
  GstPad *sinkpad = gst_element_get_static_pad(sink, "sink");
  gst_pad_add_probe(
      sinkpad, GST_PAD_PROBE_TYPE_BUFFER, count_probe, &r->counter, nullptr);
  gst_object_unref(sinkpad);
  gst_element_sync_state_with_parent(sink);
  gst_element_sync_state_with_parent(q);
  GstPad *qpad = gst_element_get_static_pad(q, "sink");
  gst_pad_link(pad, qpad);
  gst_object_unref(qpad);
  std::lock_guard<std::mutex> g(r->lock);
  r->branches[pad] = {q, sink};
}

void
on_pad_removed(GstElement *, GstPad *pad, Receiver *r) {
  std::lock_guard<std::mutex> g(r->lock);
  auto it = r->branches.find(pad);
  if (it == r->branches.end())
    return;
  r->dead.push_back(it->second);
  r->branches.erase(it);
}

std::atomic<int> bus_errors{0};
GstBusSyncReply
on_bus(GstBus *, GstMessage *msg, gpointer name) {
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    GError *err = nullptr;
    gchar *dbg = nullptr;
    gst_message_parse_error(msg, &err, &dbg);
    ADD_FAILURE() << static_cast<const char *>(name) << ": " << err->message
                  << " (" << (dbg ? dbg : "") << ")";
    bus_errors++;
    g_error_free(err);
    g_free(dbg);
  }
  return GST_BUS_PASS;
}

GstElement *
launch(const std::string &desc, const char *name) {
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
  if (p) {
    GstBus *bus = gst_element_get_bus(p);
    gst_bus_set_sync_handler(bus, on_bus, const_cast<char *>(name), nullptr);
    gst_object_unref(bus);
  }
  return p;
}

/* To NULL within 20 s, or the process ends (a deadlock). */
void
stop(GstElement *pipeline, const char *what) {
  std::promise<void> done;
  std::future<void> finished = done.get_future();
  std::thread t([&]() {
    gst_element_set_state(pipeline, GST_STATE_NULL);
    done.set_value();
  });
  if (finished.wait_for(std::chrono::seconds(20))
      != std::future_status::ready) {
    fprintf(stderr, "FAILED: %s did not reach NULL within 20 s\n", what);
    fflush(stderr);
    std::_Exit(1);
  }
  t.join();
}

const char *kMedia = " videotestsrc is-live=true ! "
                     "video/x-raw,width=160,height=120,framerate=30/1 ! "
                     "ws.video_0 ";

std::string
endpoint_of(GwsSignaller *server) {
  gchar *url = nullptr;
  g_object_get(server, "endpoint-url", &url, nullptr);
  std::string out = url ? url : "";
  g_free(url);
  return out;
}

} // namespace

TEST(Soak, ElementsCycleNullPlayingNull) {
  int n = scaled(10, 100);
  struct {
    const char *what;
    std::string desc;
  } elements[] = {
      {"webrtcsink cycles",
          std::string("webrtcsink name=ws ice-addresses=127.0.0.1 "
                      "uri=whep-server://127.0.0.1:0/whep")
              + kMedia},
      {"webrtcsrc cycles", "webrtcsrc ice-addresses=127.0.0.1 "
                           "uri=whip-server://127.0.0.1:0/whip"},
  };
  for (auto &e : elements) {
    Levels levels(e.what, n);
    for (int i = 0; i < n; i++) {
      levels.step(i);
      GstElement *p = launch(e.desc, e.what);
      ASSERT_NE(p, nullptr);
      ASSERT_NE(
          gst_element_set_state(p, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE)
          << e.what << " cycle " << i;
      EXPECT_NE(gst_element_get_state(p, nullptr, nullptr, 10 * GST_SECOND),
          GST_STATE_CHANGE_FAILURE)
          << e.what << " cycle " << i;
      stop(p, e.what);
      gst_object_unref(p);
    }
    levels.finish();
  }
  EXPECT_EQ(bus_errors, 0);
}

TEST(Soak, ConsumersJoinAndLeaveOneWebrtcsink) {
  int n = scaled(20, 1000);
  GwsSignaller *server = gws_signaller_new_for_uri(
      "whep-server://127.0.0.1:0/whep", GWS_SIGNALLER_ROLE_PRODUCER, nullptr);
  ASSERT_NE(server, nullptr);
  g_object_set(server, "max-sessions", 4u, nullptr);
  Recorder srec(server);
  GstElement *tx = launch(
      std::string("webrtcsink name=ws ice-addresses=127.0.0.1") + kMedia,
      "webrtcsink");
  ASSERT_NE(tx, nullptr);
  GstElement *ws = gst_bin_get_by_name(GST_BIN(tx), "ws");
  g_object_set(ws, "signaller", server, nullptr);
  ASSERT_NE(
      gst_element_set_state(tx, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  ASSERT_TRUE(srec.wait("connection-changed"));
  std::string consumer = "webrtcsrc name=src ice-addresses=127.0.0.1 uri=whep+"
                         + endpoint_of(server);

  auto join = [&](Receiver &r, const char *what) {
    r.pipeline = launch(consumer, what);
    ASSERT_NE(r.pipeline, nullptr);
    r.src = gst_bin_get_by_name(GST_BIN(r.pipeline), "src");
    g_signal_connect(r.src, "pad-added", G_CALLBACK(on_pad_added), &r);
    g_signal_connect(r.src, "pad-removed", G_CALLBACK(on_pad_removed), &r);
    ASSERT_NE(gst_element_set_state(r.pipeline, GST_STATE_PLAYING),
        GST_STATE_CHANGE_FAILURE);
  };
  auto leave = [&](Receiver &r, const char *what) {
    stop(r.pipeline, what);
    gst_object_unref(r.src);
    gst_object_unref(r.pipeline);
  };

  Receiver anchor;
  join(anchor, "the viewer that stays");
  ASSERT_TRUE(anchor.counter.wait_for(10));

  Levels levels("consumer sessions", n, tx);
  for (int i = 0; i < n; i++) {
    levels.step(i);
    Receiver r;
    join(r, "a viewer that leaves");
    EXPECT_TRUE(r.counter.wait_for(5)) << "viewer " << i << " got nothing";
    leave(r, "a viewer that leaves");
    drain(tx);
  }
  levels.finish();

  long seen = anchor.counter.get();
  EXPECT_TRUE(anchor.counter.wait_for(seen + 10))
      << "the viewer that stayed stopped receiving";
  leave(anchor, "the viewer that stays");
  stop(tx, "webrtcsink");
  gst_object_unref(ws);
  gst_object_unref(tx);
  g_object_unref(server);
  EXPECT_EQ(bus_errors, 0);
}

TEST(Soak, PublishersOneAfterAnotherIntoWebrtcsrc) {
  /* 30: a leak of one descriptor per publisher shows (14 publishers
   * between the middle and the end snapshots). */
  int n = scaled(30, 200);
  GwsSignaller *server = gws_signaller_new_for_uri(
      "whip-server://127.0.0.1:0/whip", GWS_SIGNALLER_ROLE_CONSUMER, nullptr);
  ASSERT_NE(server, nullptr);
  g_object_set(server, "max-sessions", 2u, nullptr);
  Recorder srec(server);
  Receiver rx;
  rx.pipeline
      = launch("webrtcsrc name=src ice-addresses=127.0.0.1", "webrtcsrc");
  ASSERT_NE(rx.pipeline, nullptr);
  rx.src = gst_bin_get_by_name(GST_BIN(rx.pipeline), "src");
  g_object_set(rx.src, "signaller", server, nullptr);
  g_signal_connect(rx.src, "pad-added", G_CALLBACK(on_pad_added), &rx);
  g_signal_connect(rx.src, "pad-removed", G_CALLBACK(on_pad_removed), &rx);
  ASSERT_NE(gst_element_set_state(rx.pipeline, GST_STATE_PLAYING),
      GST_STATE_CHANGE_FAILURE);
  ASSERT_TRUE(srec.wait("connection-changed"));
  std::string publisher = "webrtcsink name=ws ice-addresses=127.0.0.1 uri=whip+"
                          + endpoint_of(server) + kMedia;

  /* The receiver's bus is taken before each snapshot: the last session's
   * webrtcbin (its ICE agent's ~5 descriptors) is held by the messages it
   * posted while closing until they are (15 -> 15 -> 20 in CI before). */
  Levels levels("publishers", n, rx.pipeline);
  for (int i = 0; i < n; i++) {
    levels.step(i);
    long before = rx.counter.get();
    GstElement *tx = launch(publisher, "a publisher");
    ASSERT_NE(tx, nullptr);
    ASSERT_NE(
        gst_element_set_state(tx, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
    EXPECT_TRUE(rx.counter.wait_for(before + 5))
        << "publisher " << i << " was not received";
    stop(tx, "a publisher");
    gst_object_unref(tx);
    rx.reap();
    drain(rx.pipeline);
  }
  levels.finish();
  stop(rx.pipeline, "webrtcsrc");
  rx.reap();
  gst_object_unref(rx.src);
  gst_object_unref(rx.pipeline);
  g_object_unref(server);
  EXPECT_EQ(bus_errors, 0);
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
