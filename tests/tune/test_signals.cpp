/* webrtcsink's tuning signals on real elements: a real webrtcsink and
 * webrtcsrc, a real relay process (GWS_RELAY), ICE on 127.0.0.1 in a
 * private network namespace (run by run-netns.sh). Every wait has a
 * timeout.
 *
 *  - SignalsTakeEffect: an encoder-setup handler's bitrate is the running
 *    encoder's (a second handler is not called: the first returned TRUE),
 *    a payloader-setup handler's MTU is the running payloader's,
 *    consumer-added hands out the consumer's webrtcbin, get-sessions from
 *    the application's thread lists the session; frames reach the
 *    consumer.
 *  - FakeHardwareEncoderCarriesTheStream: with a fake hardware encoder
 *    registered as nvh264enc (rank none, as VA encoders are), webrtcsink
 *    picks it for H264, applies the table's settings, lets encoder-setup
 *    override them, and the consumer decodes what it makes.
 *  - RunRelay*: the in-process relay carries a session, a taken port is a
 *    clear error, and run-relay turned off publishes through the uri again.
 *  - StatsFieldsAreDocumented: every field of both elements' stats in a
 *    running session (congestion control on) is in docs/elements.md
 *    "`stats`, field by field" (GWS_SOURCE_ROOT). */
#include "fake-encoder.h"

#include "../common/relay-process.h"

#include <gio/gio.h>
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;

using Relay = gwstest::RelayProcess;

/* What the handlers saw, and the consumer's frames. */
struct Seen {
  std::mutex m;
  std::condition_variable cv;
  bool registered = false;
  guint frames = 0;
  std::vector<std::string> encoder_calls; /* "stream/codec/factory" */
  guint second_handler_calls = 0;
  std::vector<std::string> payloader_calls;
  std::string consumer_session, consumer_webrtcbin_factory;
  bool listed_in_handler = false; /* get-sessions in consumer-added */

  template <typename P> bool wait(std::chrono::seconds limit, P pred) {
    std::unique_lock<std::mutex> lk(m);
    return cv.wait_for(lk, limit, pred);
  }
};

const char *
factory_of(GstElement *e) {
  GstElementFactory *f = gst_element_get_factory(e);
  return f ? gst_plugin_feature_get_name(GST_PLUGIN_FEATURE(f)) : "";
}

/* The child of @bin made by @factory (a new reference), or nullptr. */
GstElement *
child_by_factory(GstElement *bin, const char *factory) {
  GstElement *found = nullptr;
  GstIterator *it = gst_bin_iterate_elements(GST_BIN(bin));
  GValue item = G_VALUE_INIT;
  while (!found && gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    auto *e = GST_ELEMENT(g_value_get_object(&item));
    if (g_strcmp0(factory_of(e), factory) == 0)
      found = GST_ELEMENT(gst_object_ref(e));
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it);
  return found;
}

GstElement *
launch(const std::string &description) {
  g_autoptr(GError) err = nullptr;
  GstElement *p = gst_parse_launch(description.c_str(), &err);
  if (!p)
    ADD_FAILURE() << description << ": " << (err ? err->message : "?");
  return p;
}

/* A producer (webrtcsink "ws") and a consumer (webrtcsrc into fakesink
 * "out") through @relay; the test connects its handlers to ws before
 * run(). */
struct Pair {
  GstElement *producer = nullptr, *consumer = nullptr, *ws = nullptr;
  Seen seen;

  bool make(const Relay &relay, const std::string &codec,
      const std::string &congestion = "disabled") {
    std::string uri = relay.url() + "/?peer-id=cam1";
    /* congestion-control=disabled: the handlers' bitrates must hold (the
     * controller moves a running encoder's bitrate with its estimate). */
    producer = launch("videotestsrc is-live=true ! "
                      "video/x-raw,width=160,height=120,framerate=30/1 ! "
                      "webrtcsink name=ws congestion-control="
                      + congestion + " video-codecs=<" + codec
                      + "> ice-addresses=127.0.0.1 uri=" + uri);
    consumer = launch("webrtcsrc name=wr ice-addresses=127.0.0.1 uri=" + uri
                      + " ! fakesink name=out sync=false "
                        "signal-handoffs=true async=false");
    if (!producer || !consumer)
      return false;
    ws = gst_bin_get_by_name(GST_BIN(producer), "ws");
    GstElement *out = gst_bin_get_by_name(GST_BIN(consumer), "out");
    g_signal_connect(out, "handoff",
        G_CALLBACK(+[](GstElement *, GstBuffer *, GstPad *, gpointer data) {
          auto *s = static_cast<Seen *>(data);
          std::lock_guard<std::mutex> g(s->m);
          s->frames++;
          s->cv.notify_all();
        }),
        &seen);
    gst_object_unref(out);
    g_signal_connect(ws, "consumer-added",
        G_CALLBACK(+[](GstElement *sink, const gchar *, const gchar *sid,
                        GstElement *webrtcbin, gpointer data) {
          auto *s = static_cast<Seen *>(data);
          /* On the session thread: get-sessions answers from its own
           * state, so the new session is there already. */
          gchar **ids = nullptr;
          g_signal_emit_by_name(sink, "get-sessions", &ids);
          bool listed = ids && g_strv_contains(ids, sid);
          g_strfreev(ids);
          std::lock_guard<std::mutex> g(s->m);
          s->consumer_session = sid;
          s->consumer_webrtcbin_factory = factory_of(webrtcbin);
          s->listed_in_handler = listed;
        }),
        &seen);
    return true;
  }

  /* Producer registered at the relay, then the consumer. */
  bool run() {
    GObject *sig = nullptr;
    g_object_get(ws, "signaller", &sig, nullptr);
    gulong h = g_signal_connect(sig, "connection-changed",
        G_CALLBACK(+[](GObject *, gboolean up, gpointer data) {
          auto *s = static_cast<Seen *>(data);
          std::lock_guard<std::mutex> g(s->m);
          s->registered = s->registered || up;
          s->cv.notify_all();
        }),
        &seen);
    if (gst_element_set_state(producer, GST_STATE_PLAYING)
        == GST_STATE_CHANGE_FAILURE)
      return false;
    bool up = seen.wait(10s, [this] { return seen.registered; });
    g_signal_handler_disconnect(sig, h);
    g_object_unref(sig);
    if (!up) {
      ADD_FAILURE() << "the producer did not register at the relay";
      return false;
    }
    return gst_element_set_state(consumer, GST_STATE_PLAYING)
           != GST_STATE_CHANGE_FAILURE;
  }

  bool frames(guint n) {
    return seen.wait(30s, [this, n] { return seen.frames >= n; });
  }

  ~Pair() {
    if (consumer) {
      gst_element_set_state(consumer, GST_STATE_NULL);
      gst_object_unref(consumer);
    }
    if (ws)
      gst_object_unref(ws);
    if (producer) {
      gst_element_set_state(producer, GST_STATE_NULL);
      gst_object_unref(producer);
    }
  }
};

gboolean
on_encoder_setup(GstElement *, GstElement *enc, const gchar *stream,
    const gchar *codec, gpointer data) {
  auto *s = static_cast<Seen *>(data);
  if (g_object_class_find_property(G_OBJECT_GET_CLASS(enc), "target-bitrate"))
    g_object_set(enc, "target-bitrate", 654000, nullptr); /* vp8enc: bit/s */
  else
    g_object_set(enc, "bitrate", 1500u, nullptr); /* kbit/s */
  std::lock_guard<std::mutex> g(s->m);
  s->encoder_calls.push_back(
      std::string(stream) + "/" + codec + "/" + factory_of(enc));
  return TRUE; /* handled: later handlers are not called */
}

gboolean
on_encoder_setup_second(
    GstElement *, GstElement *, const gchar *, const gchar *, gpointer data) {
  auto *s = static_cast<Seen *>(data);
  std::lock_guard<std::mutex> g(s->m);
  s->second_handler_calls++;
  return FALSE;
}

gboolean
on_payloader_setup(GstElement *, GstElement *pay, const gchar *stream,
    const gchar *codec, gpointer data) {
  auto *s = static_cast<Seen *>(data);
  g_object_set(pay, "mtu", 1100u, nullptr);
  std::lock_guard<std::mutex> g(s->m);
  s->payloader_calls.push_back(std::string(stream) + "/" + codec);
  return FALSE;
}

bool
sessions_contain(GstElement *ws, const std::string &sid) {
  /* The answer comes from the stats the session thread publishes after
   * each burst of work: wait for it with a deadline. */
  gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
  while (g_get_monotonic_time() < end) {
    gchar **ids = nullptr;
    g_signal_emit_by_name(ws, "get-sessions", &ids);
    bool found = ids && g_strv_contains(ids, sid.c_str());
    g_strfreev(ids);
    if (found)
      return true;
    g_usleep(20000);
  }
  return false;
}

TEST(TuneSignals, SignalsTakeEffect) {
  Relay relay;
  ASSERT_TRUE(relay.start());
  Pair p;
  ASSERT_TRUE(p.make(relay, "VP8"));
  g_signal_connect(
      p.ws, "encoder-setup", G_CALLBACK(on_encoder_setup), &p.seen);
  g_signal_connect(
      p.ws, "encoder-setup", G_CALLBACK(on_encoder_setup_second), &p.seen);
  g_signal_connect(
      p.ws, "payloader-setup", G_CALLBACK(on_payloader_setup), &p.seen);
  ASSERT_TRUE(p.run());
  ASSERT_TRUE(p.frames(10)) << "no frames at the consumer";

  {
    std::lock_guard<std::mutex> g(p.seen.m);
    EXPECT_EQ(
        p.seen.encoder_calls, std::vector<std::string>{"video_0/VP8/vp8enc"});
    EXPECT_EQ(p.seen.second_handler_calls, 0u);
    EXPECT_EQ(p.seen.payloader_calls, std::vector<std::string>{"video_0/VP8"});
    EXPECT_EQ(p.seen.consumer_webrtcbin_factory, "webrtcbin");
    EXPECT_FALSE(p.seen.consumer_session.empty());
    EXPECT_TRUE(p.seen.listed_in_handler)
        << "get-sessions on the session thread misses the new session";
  }
  GstElement *enc = child_by_factory(p.ws, "vp8enc");
  ASSERT_NE(enc, nullptr) << "no running vp8enc in webrtcsink";
  gint bitrate = 0;
  g_object_get(enc, "target-bitrate", &bitrate, nullptr);
  EXPECT_EQ(bitrate, 654000) << "the handler's bitrate is not the encoder's";
  EXPECT_EQ(GST_STATE(enc), GST_STATE_PLAYING);
  gst_object_unref(enc);
  GstElement *pay = child_by_factory(p.ws, "rtpvp8pay");
  ASSERT_NE(pay, nullptr);
  guint mtu = 0;
  g_object_get(pay, "mtu", &mtu, nullptr);
  EXPECT_EQ(mtu, 1100u);
  gst_object_unref(pay);

  std::string sid;
  {
    std::lock_guard<std::mutex> g(p.seen.m);
    sid = p.seen.consumer_session;
  }
  EXPECT_TRUE(sessions_contain(p.ws, sid))
      << "get-sessions does not list " << sid;
}

TEST(TuneSignals, FakeHardwareEncoderCarriesTheStream) {
  ASSERT_TRUE(fakeenc::register_fake_encoder("nvh264enc", GST_RANK_NONE));
  Relay relay;
  ASSERT_TRUE(relay.start());
  Pair p;
  ASSERT_TRUE(p.make(relay, "H264"));
  /* Before the handler: the table's settings (1 Mbit/s = 1000 kbit/s). */
  g_signal_connect(p.ws, "encoder-setup",
      G_CALLBACK(+[](GstElement *, GstElement *enc, const gchar *,
                      const gchar *, gpointer data) -> gboolean {
        guint kbps = 0;
        gboolean zl = FALSE;
        g_object_get(enc, "bitrate", &kbps, "zerolatency", &zl, nullptr);
        auto *s = static_cast<Seen *>(data);
        std::lock_guard<std::mutex> g(s->m);
        s->payloader_calls.push_back(
            "table:" + std::to_string(kbps) + ":" + (zl ? "zerolatency" : "-"));
        return FALSE;
      }),
      &p.seen);
  g_signal_connect(
      p.ws, "encoder-setup", G_CALLBACK(on_encoder_setup), &p.seen);
  ASSERT_TRUE(p.run());
  ASSERT_TRUE(p.frames(10)) << "no decoded frames from the fake encoder";

  {
    std::lock_guard<std::mutex> g(p.seen.m);
    EXPECT_EQ(p.seen.encoder_calls,
        std::vector<std::string>{"video_0/H264/nvh264enc"});
    EXPECT_EQ(p.seen.payloader_calls,
        std::vector<std::string>{"table:1000:zerolatency"});
  }
  GstElement *enc = child_by_factory(p.ws, "nvh264enc");
  ASSERT_NE(enc, nullptr) << "webrtcsink did not use the hardware encoder";
  guint kbps = 0;
  g_object_get(enc, "bitrate", &kbps, nullptr);
  EXPECT_EQ(kbps, 1500u) << "encoder-setup did not override the table";
  gst_object_unref(enc);
}

/* The field names of docs/elements.md "`stats`, field by field": the
 * backquoted names in the first column of its tables. */
std::set<std::string>
documented_stats_fields() {
  std::set<std::string> out;
  const char *root = g_getenv("GWS_SOURCE_ROOT");
  if (!root) {
    ADD_FAILURE() << "GWS_SOURCE_ROOT is not set";
    return out;
  }
  g_autofree gchar *path
      = g_build_filename(root, "docs", "elements.md", nullptr);
  g_autofree gchar *text = nullptr;
  if (!g_file_get_contents(path, &text, nullptr, nullptr)) {
    ADD_FAILURE() << "cannot read " << path;
    return out;
  }
  std::string doc(text);
  size_t start = doc.find("\n## `stats`, field by field\n");
  if (start == std::string::npos) {
    ADD_FAILURE() << path << " has no \"`stats`, field by field\" section";
    return out;
  }
  size_t end = doc.find("\n## ", start + 1);
  std::istringstream section(doc.substr(start, end - start));
  std::string line;
  while (std::getline(section, line)) {
    if (line.rfind("| `", 0) != 0)
      continue;
    std::string first = line.substr(1, line.find('|', 1) - 1);
    for (size_t a = first.find('`'); a != std::string::npos;
         a = first.find('`', a)) {
      size_t b = first.find('`', a + 1);
      if (b == std::string::npos)
        break;
      out.insert(first.substr(a + 1, b - a - 1));
      a = b + 1;
    }
  }
  return out;
}

/* Every field name in @s, and in the structures of its lists. */
void
collect_fields(const GstStructure *s, std::set<std::string> *out) {
  gst_structure_foreach(
      s,
      [](GQuark field, const GValue *v, gpointer data) -> gboolean {
        auto *names = static_cast<std::set<std::string> *>(data);
        names->insert(g_quark_to_string(field));
        if (GST_VALUE_HOLDS_LIST(v)) {
          for (guint i = 0; i < gst_value_list_get_size(v); i++) {
            const GValue *item = gst_value_list_get_value(v, i);
            if (GST_VALUE_HOLDS_STRUCTURE(item))
              collect_fields(gst_value_get_structure(item), names);
          }
        }
        return TRUE;
      },
      out);
}

/* The stats of @element once it has a session whose fields include
 * @field (the session thread publishes a snapshot at least every 100 ms),
 * or the last one read after the deadline. */
GstStructure *
stats_with(GstElement *element, const char *field) {
  GstStructure *st = nullptr;
  gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
  do {
    if (st)
      gst_structure_free(st);
    g_object_get(element, "stats", &st, nullptr);
    std::set<std::string> names;
    if (st)
      collect_fields(st, &names);
    if (names.count(field))
      return st;
    g_usleep(20000);
  } while (g_get_monotonic_time() < end);
  return st;
}

/* Every field both elements' stats carry in a running session, congestion
 * control on (its fields too), is documented field by field. */
TEST(TuneSignals, StatsFieldsAreDocumented) {
  std::set<std::string> documented = documented_stats_fields();
  ASSERT_FALSE(documented.empty());
  Relay relay;
  ASSERT_TRUE(relay.start());
  Pair p;
  ASSERT_TRUE(p.make(relay, "VP8", "gcc"));
  ASSERT_TRUE(p.run());
  ASSERT_TRUE(p.frames(10)) << "no frames at the consumer";
  GstElement *src = gst_bin_get_by_name(GST_BIN(p.consumer), "wr");
  ASSERT_NE(src, nullptr);
  struct Case {
    GstElement *element;
    const char *needs; /* a session field that shows the session is there */
  } cases[] = {{p.ws, "estimate-bps"}, {src, "rtp-packets-received"}};
  for (const auto &c : cases) {
    GstStructure *st = stats_with(c.element, c.needs);
    ASSERT_NE(st, nullptr);
    std::set<std::string> names;
    collect_fields(st, &names);
    EXPECT_TRUE(names.count(c.needs))
        << gst_structure_get_name(st) << " has no session with " << c.needs;
    for (const auto &n : names)
      EXPECT_TRUE(documented.count(n))
          << gst_structure_get_name(st) << " field " << n
          << " is not in docs/elements.md \"`stats`, field by field\"";
    gst_structure_free(st);
  }
  gst_object_unref(src);
}

/* run-relay without a relay process: webrtcsink's own relay (on its own
 * thread and context: nothing here iterates the default main context)
 * carries a webrtcsrc consumer's session. The producer's uri names another
 * port; its ?peer-id=cam1 is kept, so the consumer finds cam1 at the
 * in-process relay. */
TEST(TuneSignals, RunRelayCarriesASessionWithoutARelayProcess) {
  GstElement *producer
      = launch("videotestsrc is-live=true ! "
               "video/x-raw,width=160,height=120,framerate=30/1 ! "
               "webrtcsink name=ws run-relay=true relay-port=0 "
               "uri=ws://127.0.0.1:1/?peer-id=cam1 ice-addresses=127.0.0.1 "
               "video-codecs=<VP8> meta=\"meta,name=(string)Kitchen\"");
  ASSERT_NE(producer, nullptr);
  GstBus *bus = gst_element_get_bus(producer);
  ASSERT_NE(gst_element_set_state(producer, GST_STATE_READY),
      GST_STATE_CHANGE_FAILURE);
  std::string url;
  while (GstMessage *m = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT)) {
    if (gst_message_has_name(m, "gws-relay-started"))
      url = gst_structure_get_string(gst_message_get_structure(m), "url");
    gst_message_unref(m);
  }
  gst_object_unref(bus);
  ASSERT_FALSE(url.empty()) << "no gws-relay-started message";
  GstElement *ws = gst_bin_get_by_name(GST_BIN(producer), "ws");
  GObject *sig = nullptr;
  g_object_get(ws, "signaller", &sig, nullptr);
  gchar *sig_uri = nullptr, *meta = nullptr;
  g_object_get(sig, "uri", &sig_uri, "meta", &meta, nullptr);
  EXPECT_EQ(std::string(sig_uri), url + "/?peer-id=cam1");
  EXPECT_NE(std::string(meta ? meta : "").find("Kitchen"), std::string::npos)
      << (meta ? meta : "(none)");
  g_free(sig_uri);
  g_free(meta);
  g_object_unref(sig);
  gst_object_unref(ws);

  Seen seen;
  GstElement *consumer
      = launch("webrtcsrc ice-addresses=127.0.0.1 uri=" + url
               + "/?peer-id=cam1 ! fakesink name=out sync=false "
                 "signal-handoffs=true async=false");
  ASSERT_NE(consumer, nullptr);
  GstElement *out = gst_bin_get_by_name(GST_BIN(consumer), "out");
  g_signal_connect(out, "handoff",
      G_CALLBACK(+[](GstElement *, GstBuffer *, GstPad *, gpointer data) {
        auto *s = static_cast<Seen *>(data);
        std::lock_guard<std::mutex> g(s->m);
        s->frames++;
        s->cv.notify_all();
      }),
      &seen);
  gst_object_unref(out);
  ASSERT_NE(gst_element_set_state(producer, GST_STATE_PLAYING),
      GST_STATE_CHANGE_FAILURE);
  ASSERT_NE(gst_element_set_state(consumer, GST_STATE_PLAYING),
      GST_STATE_CHANGE_FAILURE);
  EXPECT_TRUE(seen.wait(30s, [&seen] { return seen.frames >= 10; }))
      << "no frames through the in-process relay";
  gst_element_set_state(consumer, GST_STATE_NULL);
  gst_element_set_state(producer, GST_STATE_NULL);
  gst_object_unref(consumer);
  gst_object_unref(producer);
}

/* The signaller's uri, as a std::string. */
std::string
signaller_uri(GstElement *sink) {
  GObject *sig = nullptr;
  g_object_get(sink, "signaller", &sig, nullptr);
  gchar *uri = nullptr;
  if (sig)
    g_object_get(sig, "uri", &uri, nullptr);
  std::string out = uri ? uri : "";
  g_free(uri);
  if (sig)
    g_object_unref(sig);
  return out;
}

/* run-relay points the ws:// signaller at the in-process relay while it
 * runs; stopped (READY -> NULL), the signaller publishes where the uri
 * says again, so turning run-relay off needs no new uri. */
TEST(TuneSignals, RunRelayOffPublishesThroughTheUriAgain) {
  const std::string uri = "ws://127.0.0.1:1/?peer-id=cam1";
  GstElement *sink = gst_element_factory_make("webrtcsink", nullptr);
  ASSERT_NE(sink, nullptr);
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(sink, bus);
  g_object_set(
      sink, "uri", uri.c_str(), "run-relay", TRUE, "relay-port", 0u, nullptr);
  ASSERT_NE(
      gst_element_set_state(sink, GST_STATE_READY), GST_STATE_CHANGE_FAILURE);
  std::string url;
  while (GstMessage *m = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT)) {
    if (gst_message_has_name(m, "gws-relay-started"))
      url = gst_structure_get_string(gst_message_get_structure(m), "url");
    gst_message_unref(m);
  }
  ASSERT_FALSE(url.empty()) << "no gws-relay-started message";
  EXPECT_EQ(signaller_uri(sink), url + "/?peer-id=cam1");

  gst_element_set_state(sink, GST_STATE_NULL);
  EXPECT_EQ(signaller_uri(sink), uri);
  g_object_set(sink, "run-relay", FALSE, nullptr);
  ASSERT_NE(
      gst_element_set_state(sink, GST_STATE_READY), GST_STATE_CHANGE_FAILURE);
  EXPECT_EQ(signaller_uri(sink), uri);
  gst_element_set_state(sink, GST_STATE_NULL);
  gst_element_set_bus(sink, nullptr);
  gst_object_unref(bus);
  gst_object_unref(sink);
}

/* run-relay on a port that is taken: the state change fails with an error
 * naming the address and port, and the element can start again on another
 * port. */
TEST(TuneSignals, RunRelayPortInUseIsAClearError) {
  g_autoptr(GSocket) taken = g_socket_new(G_SOCKET_FAMILY_IPV4,
      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, nullptr);
  ASSERT_NE(taken, nullptr);
  g_autoptr(GInetAddress) lo
      = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
  ASSERT_TRUE(g_socket_bind(taken, any, FALSE, nullptr));
  ASSERT_TRUE(g_socket_listen(taken, nullptr));
  g_autoptr(GSocketAddress) bound = g_socket_get_local_address(taken, nullptr);
  guint port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));

  GstElement *sink = gst_element_factory_make("webrtcsink", nullptr);
  ASSERT_NE(sink, nullptr);
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(sink, bus);
  g_object_set(sink, "run-relay", TRUE, "relay-port", port, nullptr);
  EXPECT_EQ(
      gst_element_set_state(sink, GST_STATE_READY), GST_STATE_CHANGE_FAILURE);
  GstMessage *err = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
  ASSERT_NE(err, nullptr);
  GError *e = nullptr;
  gst_message_parse_error(err, &e, nullptr);
  std::string text = e->message;
  EXPECT_NE(text.find("could not start the relay on 127.0.0.1:"
                      + std::to_string(port)),
      std::string::npos)
      << text;
  g_error_free(e);
  gst_message_unref(err);

  /* Another port: it starts, says where, and stops cleanly. */
  gst_element_set_state(sink, GST_STATE_NULL);
  g_object_set(sink, "relay-port", 0u, nullptr);
  ASSERT_NE(
      gst_element_set_state(sink, GST_STATE_READY), GST_STATE_CHANGE_FAILURE);
  GstMessage *started = nullptr;
  while (GstMessage *m = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT)) {
    if (gst_message_has_name(m, "gws-relay-started")) {
      started = m;
      break;
    }
    gst_message_unref(m);
  }
  ASSERT_NE(started, nullptr) << "no gws-relay-started message";
  const char *url
      = gst_structure_get_string(gst_message_get_structure(started), "url");
  EXPECT_TRUE(g_str_has_prefix(url, "ws://127.0.0.1:")) << url;
  gst_message_unref(started);
  gst_element_set_state(sink, GST_STATE_NULL);
  gst_element_set_bus(sink, nullptr);
  gst_object_unref(bus);
  gst_object_unref(sink);
}

} // namespace

int
main(int argc, char **argv) {
  gst_init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
