/* The WebSocket signaller against the real relay process (gst-webrtc-relay)
 * on 127.0.0.1: a producer and a consumer signaller meet through it, swap
 * descriptions and candidates, end sessions both ways, and survive the
 * relay starting late or restarting. Every wait is on an event, with a
 * timeout. */
#include "gws-signaller.h"
#include "gws-ws-signaller.h"
#include "protocol/message.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gtest/gtest.h>
#include <libsoup/soup.h>

#include <signal.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
constexpr auto kTimeout = 10s;

/* ---- The relay process ---- */

class Relay {
 public:
  /* Starts gst-webrtc-relay on 127.0.0.1:port (0: any) with extra args and
   * waits for its "listening on ws://..." line. */
  bool start(guint16 port, std::vector<std::string> extra = {}) {
    const char *path = g_getenv("GWS_RELAY");
    std::vector<const char *> argv{path, "--host", "127.0.0.1", "--port"};
    std::string port_text = std::to_string(port);
    argv.push_back(port_text.c_str());
    for (const auto &a : extra)
      argv.push_back(a.c_str());
    argv.push_back(nullptr);
    g_autoptr(GError) err = nullptr;
    proc_ = g_subprocess_newv(argv.data(),
        static_cast<GSubprocessFlags>(
            G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE),
        &err);
    if (!proc_) {
      ADD_FAILURE() << "cannot start " << path << ": " << err->message;
      return false;
    }
    GInputStream *out = g_subprocess_get_stdout_pipe(proc_);
    reader_ = std::thread([this, out]() { read_lines(out); });
    std::unique_lock<std::mutex> lock(lock_);
    bool ok = cond_.wait_for(
        lock, kTimeout, [this]() { return !url_.empty() || eof_; });
    if (!ok || url_.empty()) {
      ADD_FAILURE() << "the relay did not say \"listening on ws://...\"";
      return false;
    }
    return true;
  }

  /* SIGTERM, then wait for the process to end. */
  void stop() {
    if (!proc_)
      return;
    g_subprocess_send_signal(proc_, SIGTERM);
    g_subprocess_wait(proc_, nullptr, nullptr);
    if (reader_.joinable())
      reader_.join();
    g_clear_object(&proc_);
    std::lock_guard<std::mutex> lock(lock_);
    url_.clear();
    eof_ = false;
  }

  /* SIGSTOP / SIGCONT: a relay that hangs without closing its sockets. */
  void send_signal(int sig) {
    if (proc_)
      g_subprocess_send_signal(proc_, sig);
  }

  ~Relay() {
    if (proc_) {
      g_subprocess_send_signal(proc_, SIGCONT);
      g_subprocess_force_exit(proc_);
      g_subprocess_wait(proc_, nullptr, nullptr);
    }
    if (reader_.joinable())
      reader_.join();
    g_clear_object(&proc_);
  }

  std::string url() {
    std::lock_guard<std::mutex> lock(lock_);
    return url_;
  }
  guint16 port() {
    std::string u = url();
    auto colon = u.rfind(':');
    return static_cast<guint16>(std::stoi(u.substr(colon + 1)));
  }

 private:
  void read_lines(GInputStream *out) {
    g_autoptr(GDataInputStream) data = g_data_input_stream_new(out);
    while (true) {
      gsize len = 0;
      g_autofree gchar *line
          = g_data_input_stream_read_line(data, &len, nullptr, nullptr);
      if (!line)
        break;
      g_printerr("relay| %s\n", line);
      std::string l = line;
      auto at = l.find("listening on ws");
      if (at != std::string::npos) {
        std::string url = l.substr(at + strlen("listening on "));
        while (!url.empty() && (url.back() == '/' || isspace(url.back())))
          url.pop_back();
        std::lock_guard<std::mutex> lock(lock_);
        if (url_.empty())
          url_ = url;
        cond_.notify_all();
      }
    }
    std::lock_guard<std::mutex> lock(lock_);
    eof_ = true;
    cond_.notify_all();
  }

  GSubprocess *proc_ = nullptr;
  std::thread reader_;
  std::mutex lock_;
  std::condition_variable cond_;
  std::string url_;
  bool eof_ = false;
};

/* A port nobody listens on right now (for "relay starts later"). */
guint16
free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

/* ---- A raw protocol client, to see the wire and play peers our signaller
 * does not (a consumer that offers first, a listener) ---- */

namespace proto = gws::protocol;

class RawClient {
 public:
  RawClient() {
    ctx_ = g_main_context_new();
    g_main_context_push_thread_default(ctx_);
    session_ = soup_session_new();
    g_main_context_pop_thread_default(ctx_);
  }
  ~RawClient() {
    g_main_context_push_thread_default(ctx_);
    if (ws_) {
      g_signal_handlers_disconnect_by_data(ws_, this);
      g_object_unref(ws_);
    }
    g_object_unref(session_);
    while (g_main_context_iteration(ctx_, FALSE))
      ;
    g_main_context_pop_thread_default(ctx_);
    g_main_context_unref(ctx_);
  }

  bool connect(const std::string &url) {
    g_main_context_push_thread_default(ctx_);
    SoupMessage *msg = soup_message_new("GET", url.c_str());
    soup_session_websocket_connect_async(
        session_, msg, nullptr, nullptr, G_PRIORITY_DEFAULT, nullptr,
        [](GObject *src, GAsyncResult *res, gpointer data) {
          auto *self = static_cast<RawClient *>(data);
          self->ws_ = soup_session_websocket_connect_finish(
              SOUP_SESSION(src), res, nullptr);
          self->connect_done_ = true;
          if (!self->ws_)
            return;
          g_signal_connect(self->ws_, "message",
              G_CALLBACK(+[](SoupWebsocketConnection *, gint, GBytes *b,
                              RawClient *self) {
                gsize n = 0;
                auto *d = static_cast<const char *>(g_bytes_get_data(b, &n));
                auto parsed = proto::parse(std::string_view(d, n));
                if (parsed.message)
                  self->inbox_.push_back(std::move(*parsed.message));
              }),
              self);
          g_signal_connect(self->ws_, "closed",
              G_CALLBACK(+[](SoupWebsocketConnection *, RawClient *self) {
                self->closed_ = true;
              }),
              self);
        },
        this);
    g_object_unref(msg);
    iterate_until([this]() { return connect_done_; });
    g_main_context_pop_thread_default(ctx_);
    return ws_ != nullptr;
  }

  void send(const std::string &text) {
    g_main_context_push_thread_default(ctx_);
    soup_websocket_connection_send_text(ws_, text.c_str());
    g_main_context_pop_thread_default(ctx_);
  }

  /* The first message of `type` that `pred` accepts (earlier ones of other
   * kinds stay queued). */
  std::optional<proto::Message> wait(proto::Type type,
      std::function<bool(const proto::Message &)> pred = nullptr) {
    std::optional<proto::Message> found;
    g_main_context_push_thread_default(ctx_);
    iterate_until([&]() {
      for (auto it = inbox_.begin(); it != inbox_.end(); ++it) {
        if (it->type == type && (!pred || pred(*it))) {
          found = std::move(*it);
          inbox_.erase(it);
          return true;
        }
      }
      return false;
    });
    g_main_context_pop_thread_default(ctx_);
    return found;
  }

  void close() {
    g_main_context_push_thread_default(ctx_);
    soup_websocket_connection_close(ws_, SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
    iterate_until([this]() { return closed_; });
    g_main_context_pop_thread_default(ctx_);
  }

 private:
  void iterate_until(const std::function<bool()> &done) {
    gint64 deadline
        = g_get_monotonic_time()
          + std::chrono::duration_cast<std::chrono::microseconds>(kTimeout)
                .count();
    while (!done() && g_get_monotonic_time() < deadline) {
      /* Wake at least every 50 ms to check the deadline. */
      GSource *tick = g_timeout_source_new(50);
      g_source_set_callback(
          tick, [](gpointer) { return G_SOURCE_REMOVE; }, nullptr, nullptr);
      g_source_attach(tick, ctx_);
      g_main_context_iteration(ctx_, TRUE);
      g_source_destroy(tick);
      g_source_unref(tick);
    }
  }

  GMainContext *ctx_ = nullptr;
  SoupSession *session_ = nullptr;
  SoupWebsocketConnection *ws_ = nullptr;
  bool connect_done_ = false;
  bool closed_ = false;
  std::deque<proto::Message> inbox_;
};

std::string
member_string(const proto::Json &obj, const char *name) {
  if (!obj || !JSON_NODE_HOLDS_OBJECT(obj.get()))
    return "";
  JsonObject *o = json_node_get_object(obj.get());
  if (!json_object_has_member(o, name))
    return "<absent>";
  JsonNode *n = json_object_get_member(o, name);
  if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING)
    return json_node_get_string(n);
  if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64)
    return std::to_string(json_node_get_int(n));
  return "<other>";
}

/* ---- Recording what a signaller emits ---- */

struct Event {
  std::string name; /* signal name; "error" is "error::fatal", "::retrying"
                     * or "::unavailable" */
  std::string session_id, peer_id, text, mid;
  guint mline = 0;
  bool has_mid = false, has_offer = false, flag = false;
  GstWebRTCSDPType sdp_type = GST_WEBRTC_SDP_TYPE_OFFER;
  bool consumed = false;
};

class Recorder {
 public:
  explicit Recorder(GwsSignaller *s) {
    g_signal_connect(s, "session-requested",
        G_CALLBACK(+[](GwsSignaller *, const gchar *sid, const gchar *peer,
                        GstWebRTCSessionDescription *offer, Recorder *r) {
          Event e;
          e.name = "session-requested";
          e.session_id = sid;
          e.peer_id = peer;
          if (offer) {
            e.has_offer = true;
            g_autofree gchar *t = gst_sdp_message_as_text(offer->sdp);
            e.text = t;
          }
          r->push(std::move(e));
        }),
        this);
    g_signal_connect(s, "session-started",
        G_CALLBACK(+[](GwsSignaller *, const gchar *sid, const gchar *peer,
                        Recorder *r) {
          Event e;
          e.name = "session-started";
          e.session_id = sid;
          e.peer_id = peer;
          r->push(std::move(e));
        }),
        this);
    g_signal_connect(s, "session-description",
        G_CALLBACK(+[](GwsSignaller *, const gchar *sid,
                        GstWebRTCSessionDescription *desc, Recorder *r) {
          Event e;
          e.name = "session-description";
          e.session_id = sid;
          e.sdp_type = desc->type;
          g_autofree gchar *t = gst_sdp_message_as_text(desc->sdp);
          e.text = t;
          r->push(std::move(e));
        }),
        this);
    g_signal_connect(s, "handle-ice",
        G_CALLBACK(+[](GwsSignaller *, const gchar *sid, guint mline,
                        const gchar *mid, const gchar *cand, Recorder *r) {
          Event e;
          e.name = "handle-ice";
          e.session_id = sid;
          e.mline = mline;
          e.has_mid = mid != nullptr;
          e.mid = mid ? mid : "";
          e.text = cand;
          r->push(std::move(e));
        }),
        this);
    g_signal_connect(s, "session-ended",
        G_CALLBACK(+[](GwsSignaller *, const gchar *sid, const gchar *reason,
                        Recorder *r) {
          Event e;
          e.name = "session-ended";
          e.session_id = sid;
          e.text = reason ? reason : "";
          r->push(std::move(e));
        }),
        this);
    g_signal_connect(s, "error::fatal",
        G_CALLBACK(+[](GwsSignaller *, const gchar *msg, Recorder *r) {
          Event e;
          e.name = "error::fatal";
          e.text = msg;
          r->push(std::move(e));
        }),
        this);
    g_signal_connect(s, "error::retrying",
        G_CALLBACK(+[](GwsSignaller *, const gchar *msg, Recorder *r) {
          Event e;
          e.name = "error::retrying";
          e.text = msg;
          r->push(std::move(e));
        }),
        this);
    g_signal_connect(s, "error::unavailable",
        G_CALLBACK(+[](GwsSignaller *, const gchar *msg, Recorder *r) {
          Event e;
          e.name = "error::unavailable";
          e.text = msg;
          r->push(std::move(e));
        }),
        this);
    g_signal_connect(s, "connection-changed",
        G_CALLBACK(+[](GwsSignaller *, gboolean up, Recorder *r) {
          Event e;
          e.name = "connection-changed";
          e.flag = up;
          r->push(std::move(e));
        }),
        this);
  }

  /* The first not yet consumed event called `name` that `pred` accepts,
   * waiting up to `timeout` for it. */
  std::optional<Event> wait(const std::string &name,
      std::function<bool(const Event &)> pred = nullptr,
      std::chrono::milliseconds timeout = kTimeout) {
    std::unique_lock<std::mutex> lock(lock_);
    std::optional<Event> found;
    cond_.wait_for(lock, timeout, [&]() {
      for (auto &e : events_) {
        if (!e.consumed && e.name == name && (!pred || pred(e))) {
          e.consumed = true;
          found = e;
          return true;
        }
      }
      return false;
    });
    return found;
  }

  std::optional<Event> wait_connected(bool up) {
    return wait(
        "connection-changed", [up](const Event &e) { return e.flag == up; });
  }

  /* Events called `name` seen so far (consumed or not). */
  int count(const std::string &name) {
    std::lock_guard<std::mutex> lock(lock_);
    int n = 0;
    for (const auto &e : events_)
      n += e.name == name;
    return n;
  }

 private:
  void push(Event e) {
    std::lock_guard<std::mutex> lock(lock_);
    events_.push_back(std::move(e));
    cond_.notify_all();
  }

  std::mutex lock_;
  std::condition_variable cond_;
  std::deque<Event> events_;
};

/* A signaller with its recorder; the signaller is stopped and released
 * (disconnecting the recorder) before the recorder goes. */
struct Peer {
  GwsSignaller *s;
  std::unique_ptr<Recorder> rec;

  Peer(GwsSignallerRole role, const std::string &uri) {
    g_autoptr(GError) err = nullptr;
    s = gws_signaller_new_for_uri(uri.c_str(), role, &err);
    EXPECT_NE(s, nullptr) << (err ? err->message : "");
    g_object_set(s, "reconnect-min-backoff", 50u, "reconnect-max-backoff", 400u,
        nullptr);
    rec = std::make_unique<Recorder>(s);
  }
  ~Peer() {
    gws_signaller_stop(s);
    g_signal_handlers_disconnect_matched(
        s, G_SIGNAL_MATCH_DATA, 0, 0, nullptr, nullptr, rec.get());
    g_object_unref(s);
  }
  Recorder &operator*() { return *rec; }
  Recorder *operator->() { return rec.get(); }
};

GstWebRTCSessionDescription *
make_desc(GstWebRTCSDPType type, const char *origin) {
  std::string text = std::string("v=0\r\no=- ") + origin
                     + " 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                       "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
                       "c=IN IP4 0.0.0.0\r\na=mid:video0\r\n"
                       "a=rtpmap:96 VP8/90000\r\n";
  GstSDPMessage *sdp = nullptr;
  gst_sdp_message_new_from_text(text.c_str(), &sdp);
  return gst_webrtc_session_description_new(type, sdp);
}

class WsSignaller : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { gst_init(nullptr, nullptr); }

  void SetUp() override {
    const char *relay = g_getenv("GWS_RELAY");
    if (!relay || !g_file_test(relay, G_FILE_TEST_IS_EXECUTABLE))
      GTEST_SKIP() << "relay binary not built (GWS_RELAY="
                   << (relay ? relay : "unset") << ")";
  }

  /* A producer claiming `id` and a consumer asking for it, through `url`. */
  static std::string uri(const std::string &url, const std::string &query) {
    return url + "/" + (query.empty() ? "" : "?" + query);
  }

  /* Producer up, consumer session started on both sides. Returns the
   * session id. */
  static std::string start_session(Peer &producer, Peer &consumer) {
    gws_signaller_start(consumer.s);
    auto started = consumer->wait("session-started");
    EXPECT_TRUE(started);
    if (!started)
      return "";
    auto requested = producer->wait("session-requested",
        [&](const Event &e) { return e.session_id == started->session_id; });
    EXPECT_TRUE(requested);
    return started->session_id;
  }
};

/* The tests below run over WebSocket and over HTTP long-poll
 * (poll+http://, poll+https://): one protocol client, two transports. */
class RelaySignaller : public WsSignaller,
                       public ::testing::WithParamInterface<const char *> {
 protected:
  std::string uri(const std::string &url, const std::string &query) {
    std::string u = WsSignaller::uri(url, query);
    if (g_strcmp0(GetParam(), "poll") == 0) {
      if (u.rfind("ws://", 0) == 0)
        u = "poll+http://" + u.substr(5);
      else if (u.rfind("wss://", 0) == 0)
        u = "poll+https://" + u.substr(6);
    }
    return u;
  }
};

INSTANTIATE_TEST_SUITE_P(Transports, RelaySignaller,
    ::testing::Values("ws", "poll"),
    [](const ::testing::TestParamInfo<const char *> &info) {
      return std::string(info.param);
    });

TEST_P(RelaySignaller, OfferAnswerIceAndEndBothWays) {
  Relay relay;
  ASSERT_TRUE(relay.start(0));
  Peer producer(GWS_SIGNALLER_ROLE_PRODUCER, uri(relay.url(), "peer-id=cam1"));
  gws_signaller_start(producer.s);
  ASSERT_TRUE(producer->wait_connected(true));

  Peer consumer(GWS_SIGNALLER_ROLE_CONSUMER, uri(relay.url(), "peer-id=cam1"));
  gws_signaller_start(consumer.s);
  auto started = consumer->wait("session-started");
  ASSERT_TRUE(started);
  EXPECT_EQ(started->peer_id, "cam1");
  std::string sid = started->session_id;
  auto requested = producer->wait("session-requested");
  ASSERT_TRUE(requested);
  EXPECT_EQ(requested->session_id, sid);
  EXPECT_FALSE(requested->has_offer);
  EXPECT_NE(requested->peer_id, "cam1");

  /* The producer offers, the consumer answers. */
  GstWebRTCSessionDescription *offer
      = make_desc(GST_WEBRTC_SDP_TYPE_OFFER, "111");
  gws_signaller_send_sdp(producer.s, sid.c_str(), offer);
  auto got_offer = consumer->wait("session-description");
  ASSERT_TRUE(got_offer);
  EXPECT_EQ(got_offer->session_id, sid);
  EXPECT_EQ(got_offer->sdp_type, GST_WEBRTC_SDP_TYPE_OFFER);
  g_autofree gchar *offer_text = gst_sdp_message_as_text(offer->sdp);
  EXPECT_EQ(got_offer->text, offer_text);
  gst_webrtc_session_description_free(offer);

  GstWebRTCSessionDescription *answer
      = make_desc(GST_WEBRTC_SDP_TYPE_ANSWER, "222");
  gws_signaller_send_sdp(consumer.s, sid.c_str(), answer);
  gst_webrtc_session_description_free(answer);
  auto got_answer = producer->wait("session-description");
  ASSERT_TRUE(got_answer);
  EXPECT_EQ(got_answer->sdp_type, GST_WEBRTC_SDP_TYPE_ANSWER);
  EXPECT_NE(got_answer->text.find("o=- 222"), std::string::npos);

  /* ICE both ways: index alone, index with a mid; NULL (end of candidates)
   * sends nothing. */
  const char *c1 = "candidate:1 1 UDP 2122252543 127.0.0.1 40000 typ host";
  const char *c2 = "candidate:2 1 TCP 1015021823 127.0.0.1 9 typ host "
                   "tcptype active";
  gws_signaller_add_ice(producer.s, sid.c_str(), c1, 0, nullptr);
  gws_signaller_add_ice(producer.s, sid.c_str(), nullptr, 0, nullptr);
  gws_signaller_add_ice(producer.s, sid.c_str(), c2, 1, "audio1");
  auto ice1 = consumer->wait("handle-ice");
  ASSERT_TRUE(ice1);
  EXPECT_EQ(ice1->session_id, sid);
  EXPECT_EQ(ice1->text, c1);
  EXPECT_EQ(ice1->mline, 0u);
  EXPECT_FALSE(ice1->has_mid);
  auto ice2 = consumer->wait("handle-ice");
  ASSERT_TRUE(ice2);
  EXPECT_EQ(ice2->text, c2);
  EXPECT_EQ(ice2->mline, 1u);
  EXPECT_EQ(ice2->mid, "audio1");

  gws_signaller_add_ice(consumer.s, sid.c_str(), c1, 0, "video0");
  auto ice3 = producer->wait("handle-ice");
  ASSERT_TRUE(ice3);
  EXPECT_EQ(ice3->text, c1);
  EXPECT_EQ(ice3->mid, "video0");

  /* The consumer ends it: the producer hears. */
  gws_signaller_end_session(consumer.s, sid.c_str());
  auto ended = producer->wait("session-ended");
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->session_id, sid);
  EXPECT_EQ(consumer->count("session-ended"), 0);
  EXPECT_EQ(consumer->count("handle-ice"), 2);

  /* A second consumer; this time the producer ends it. */
  Peer consumer2(GWS_SIGNALLER_ROLE_CONSUMER, uri(relay.url(), ""));
  g_object_set(consumer2.s, "producer-peer-id", "cam1", nullptr);
  std::string sid2 = start_session(producer, consumer2);
  ASSERT_FALSE(sid2.empty());
  EXPECT_NE(sid2, sid);
  gws_signaller_end_session(producer.s, sid2.c_str());
  auto ended2 = consumer2->wait("session-ended");
  ASSERT_TRUE(ended2);
  EXPECT_EQ(ended2->session_id, sid2);

  /* A third; stopping the consumer ends its session at the producer. */
  Peer consumer3(GWS_SIGNALLER_ROLE_CONSUMER, uri(relay.url(), "peer-id=cam1"));
  std::string sid3 = start_session(producer, consumer3);
  ASSERT_FALSE(sid3.empty());
  gws_signaller_stop(consumer3.s);
  ASSERT_TRUE(producer->wait(
      "session-ended", [&](const Event &e) { return e.session_id == sid3; }));

  EXPECT_EQ(producer->count("error::fatal"), 0);
  EXPECT_EQ(consumer->count("error::fatal"), 0);
}

TEST_P(RelaySignaller, ConsumerTakesTheFirstProducerThatAppears) {
  Relay relay;
  ASSERT_TRUE(relay.start(0));
  Peer consumer(GWS_SIGNALLER_ROLE_CONSUMER, uri(relay.url(), ""));
  gws_signaller_start(consumer.s);
  ASSERT_TRUE(consumer->wait_connected(true));

  Peer producer(GWS_SIGNALLER_ROLE_PRODUCER, uri(relay.url(), "peer-id=late"));
  g_object_set(producer.s, "meta", "{\"name\": \"Late camera\"}", nullptr);
  gws_signaller_start(producer.s);
  auto started = consumer->wait("session-started");
  ASSERT_TRUE(started);
  EXPECT_EQ(started->peer_id, "late");
  ASSERT_TRUE(producer->wait("session-requested"));
}

TEST_P(RelaySignaller, ConsumerFindsAnExistingProducerByList) {
  Relay relay;
  ASSERT_TRUE(relay.start(0));
  Peer producer(GWS_SIGNALLER_ROLE_PRODUCER, uri(relay.url(), ""));
  g_object_set(producer.s, "meta", "meta,name=cam,floor=(int)2", nullptr);
  gws_signaller_start(producer.s);
  ASSERT_TRUE(producer->wait_connected(true));

  Peer consumer(GWS_SIGNALLER_ROLE_CONSUMER, uri(relay.url(), ""));
  std::string sid = start_session(producer, consumer);
  EXPECT_FALSE(sid.empty());
}

TEST_P(RelaySignaller, PeerIdTakenIsReported) {
  Relay relay;
  ASSERT_TRUE(relay.start(0));
  Peer first(GWS_SIGNALLER_ROLE_PRODUCER, uri(relay.url(), "peer-id=cam1"));
  gws_signaller_start(first.s);
  ASSERT_TRUE(first->wait_connected(true));

  Peer second(GWS_SIGNALLER_ROLE_PRODUCER, uri(relay.url(), ""));
  g_object_set(second.s, "peer-id", "cam1", nullptr);
  gws_signaller_start(second.s);
  auto err = second->wait("error::fatal");
  ASSERT_TRUE(err);
  EXPECT_NE(err->text.find("cam1"), std::string::npos) << err->text;
  EXPECT_NE(err->text.find("already in use"), std::string::npos) << err->text;
  EXPECT_EQ(second->count("connection-changed"), 0);

  /* The first still works. */
  Peer consumer(GWS_SIGNALLER_ROLE_CONSUMER, uri(relay.url(), "peer-id=cam1"));
  EXPECT_FALSE(start_session(first, consumer).empty());
}

TEST_P(RelaySignaller, ProducerNotFoundIsReported) {
  Relay relay;
  ASSERT_TRUE(relay.start(0));
  Peer consumer(
      GWS_SIGNALLER_ROLE_CONSUMER, uri(relay.url(), "peer-id=nobody"));
  gws_signaller_start(consumer.s);
  /* Not there (yet): "unavailable", so the bin can wait for it
   * (wait-timeout), not "fatal". */
  auto err = consumer->wait("error::unavailable");
  ASSERT_TRUE(err);
  EXPECT_NE(err->text.find("\"nobody\" not found"), std::string::npos)
      << err->text;
  EXPECT_EQ(consumer->count("error::fatal"), 0);
}

TEST_P(RelaySignaller, TokenRefusedIsReportedOnce) {
  Relay relay;
  ASSERT_TRUE(relay.start(0, {"--token", "s3cret"}));

  Peer wrong(GWS_SIGNALLER_ROLE_PRODUCER, uri(relay.url(), "peer-id=cam1"));
  g_object_set(wrong.s, "token", "guess", nullptr);
  gws_signaller_start(wrong.s);
  auto err = wrong->wait("error::fatal");
  ASSERT_TRUE(err);
  EXPECT_NE(err->text.find("401"), std::string::npos) << err->text;
  EXPECT_NE(err->text.find("token"), std::string::npos) << err->text;

  Peer none(GWS_SIGNALLER_ROLE_PRODUCER, uri(relay.url(), "peer-id=cam2"));
  gws_signaller_start(none.s);
  ASSERT_TRUE(none->wait("error::fatal"));

  /* The right token, as a property and in the URI, gets in. */
  Peer right(GWS_SIGNALLER_ROLE_PRODUCER, uri(relay.url(), "peer-id=cam1"));
  g_object_set(right.s, "token", "s3cret", nullptr);
  gws_signaller_start(right.s);
  ASSERT_TRUE(right->wait_connected(true));
  Peer consumer(GWS_SIGNALLER_ROLE_CONSUMER,
      uri(relay.url(), "peer-id=cam1&token=s3cret"));
  EXPECT_FALSE(start_session(right, consumer).empty());

  /* Refused means given up: no retries, so no second error and never up. */
  EXPECT_EQ(wrong->count("error::fatal"), 1);
  EXPECT_EQ(wrong->count("error::retrying"), 0);
  EXPECT_EQ(wrong->count("connection-changed"), 0);
}

TEST_P(RelaySignaller, ProducerStartedBeforeTheRelayRegistersWhenItComesUp) {
  guint16 port = free_port();
  std::string url = "ws://127.0.0.1:" + std::to_string(port);
  Peer producer(GWS_SIGNALLER_ROLE_PRODUCER, uri(url, "peer-id=early"));
  gws_signaller_start(producer.s);
  auto err = producer->wait("error::retrying");
  ASSERT_TRUE(err);
  EXPECT_NE(err->text.find("could not reach"), std::string::npos) << err->text;
  EXPECT_NE(
      err->text.find("127.0.0.1:" + std::to_string(port)), std::string::npos)
      << err->text;

  Relay relay;
  ASSERT_TRUE(relay.start(port));
  ASSERT_TRUE(producer->wait_connected(true));
  EXPECT_EQ(producer->count("error::retrying"), 1);
  EXPECT_EQ(producer->count("error::fatal"), 0);

  Peer consumer(GWS_SIGNALLER_ROLE_CONSUMER, uri(url, "peer-id=early"));
  EXPECT_FALSE(start_session(producer, consumer).empty());
}

TEST_P(RelaySignaller, RelayRestartReRegistersAndKeepsSessions) {
  Relay relay;
  ASSERT_TRUE(relay.start(0));
  guint16 port = relay.port();
  std::string url = relay.url();
  Peer producer(GWS_SIGNALLER_ROLE_PRODUCER, uri(url, "peer-id=cam1"));
  gws_signaller_start(producer.s);
  ASSERT_TRUE(producer->wait_connected(true));
  Peer consumer(GWS_SIGNALLER_ROLE_CONSUMER, uri(url, "peer-id=cam1"));
  std::string sid = start_session(producer, consumer);
  ASSERT_FALSE(sid.empty());

  relay.stop();
  ASSERT_TRUE(producer->wait_connected(false));
  ASSERT_TRUE(consumer->wait_connected(false));

  /* The bins keep their media: a candidate for the old session is
   * dropped quietly, the session is not declared ended. */
  gws_signaller_add_ice(producer.s, sid.c_str(),
      "candidate:1 1 UDP 1 127.0.0.1 9 typ host", 0, nullptr);

  ASSERT_TRUE(relay.start(port));
  ASSERT_TRUE(producer->wait_connected(true));
  ASSERT_TRUE(consumer->wait_connected(true));
  EXPECT_EQ(producer->count("session-ended"), 0);
  EXPECT_EQ(consumer->count("session-ended"), 0);
  EXPECT_EQ(producer->count("error::fatal"), 0);
  EXPECT_EQ(consumer->count("error::fatal"), 0);
  /* The consumer had its session: it does not ask for another. */
  EXPECT_EQ(consumer->count("session-started"), 1);

  /* The producer is registered again under its id. */
  Peer consumer2(GWS_SIGNALLER_ROLE_CONSUMER, uri(url, "peer-id=cam1"));
  std::string sid2 = start_session(producer, consumer2);
  EXPECT_FALSE(sid2.empty());
}

TEST_F(WsSignaller, WireFormatMetaConsumerOfferAndDisconnectReason) {
  Relay relay;
  ASSERT_TRUE(relay.start(0));

  /* A listener sees the producer's registration and meta. */
  RawClient listener;
  ASSERT_TRUE(listener.connect(relay.url() + "/"));
  ASSERT_TRUE(listener.wait(proto::Type::Welcome));
  listener.send(R"({"type":"setPeerStatus","roles":["listener"],"meta":null})");

  Peer producer(GWS_SIGNALLER_ROLE_PRODUCER, uri(relay.url(), "peer-id=hall"));
  g_object_set(producer.s, "meta", "meta,name=Hall,floor=(int)2", nullptr);
  gws_signaller_start(producer.s);
  ASSERT_TRUE(producer->wait_connected(true));
  auto status = listener.wait(proto::Type::PeerStatusChanged,
      [](const proto::Message &m) { return m.peer_id == "hall"; });
  ASSERT_TRUE(status);
  EXPECT_EQ(status->roles, proto::kProducer);
  EXPECT_EQ(member_string(status->meta, "name"), "Hall");
  EXPECT_EQ(member_string(status->meta, "floor"), "2");

  /* A consumer that offers first: the producer gets the offer with the
   * request, answers, and candidates go both ways in the wire format. */
  RawClient consumer;
  ASSERT_TRUE(consumer.connect(relay.url() + "/"));
  ASSERT_TRUE(consumer.wait(proto::Type::Welcome));
  consumer.send(R"({"type":"setProtocolVersion","version":"v1_1"})");
  GstWebRTCSessionDescription *offer
      = make_desc(GST_WEBRTC_SDP_TYPE_OFFER, "333");
  g_autofree gchar *offer_text = gst_sdp_message_as_text(offer->sdp);
  gst_webrtc_session_description_free(offer);
  proto::Message start;
  start.type = proto::Type::StartSession;
  start.peer_id = "hall";
  start.has_peer_id = true;
  start.offer = std::string(offer_text);
  consumer.send(proto::serialize(start));
  auto started = consumer.wait(proto::Type::SessionStarted);
  ASSERT_TRUE(started);
  std::string sid = started->session_id;

  auto requested = producer->wait("session-requested");
  ASSERT_TRUE(requested);
  EXPECT_EQ(requested->session_id, sid);
  EXPECT_TRUE(requested->has_offer);
  EXPECT_EQ(requested->text, offer_text);

  GstWebRTCSessionDescription *answer
      = make_desc(GST_WEBRTC_SDP_TYPE_ANSWER, "444");
  gws_signaller_send_sdp(producer.s, sid.c_str(), answer);
  gst_webrtc_session_description_free(answer);
  auto got_answer = consumer.wait(proto::Type::Peer);
  ASSERT_TRUE(got_answer);
  EXPECT_EQ(got_answer->session_id, sid);
  EXPECT_EQ(proto::sdp_type(*got_answer).value_or(""), "answer");

  gws_signaller_add_ice(producer.s, sid.c_str(),
      "candidate:1 1 UDP 2122252543 127.0.0.1 40000 typ host", 0, nullptr);
  gws_signaller_add_ice(producer.s, sid.c_str(),
      "candidate:1 1 UDP 2122252543 127.0.0.1 40002 typ host", 1, "a1");
  auto ice1 = consumer.wait(proto::Type::Peer);
  ASSERT_TRUE(ice1);
  EXPECT_EQ(member_string(ice1->ice, "sdpMLineIndex"), "0");
  EXPECT_EQ(member_string(ice1->ice, "sdpMid"), "<absent>");
  auto ice2 = consumer.wait(proto::Type::Peer);
  ASSERT_TRUE(ice2);
  EXPECT_EQ(member_string(ice2->ice, "sdpMLineIndex"), "1");
  EXPECT_EQ(member_string(ice2->ice, "sdpMid"), "a1");

  /* A browser-style candidate (candidate.toJSON()). */
  consumer.send(std::string(R"({"type":"peer","sessionId":")") + sid
                + R"(","ice":{"candidate":"candidate:9 1 udp 1 127.0.0.1 )"
                  R"(5000 typ host","sdpMid":"0","sdpMLineIndex":0,)"
                  R"("usernameFragment":"abcd"}})");
  auto ice3 = producer->wait("handle-ice");
  ASSERT_TRUE(ice3);
  EXPECT_EQ(ice3->mid, "0");
  EXPECT_EQ(ice3->mline, 0u);

  /* The consumer vanishes: the producer hears why (v1_1 reason). */
  consumer.close();
  auto ended = producer->wait("session-ended");
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->session_id, sid);
  EXPECT_FALSE(ended->text.empty());
}

TEST_F(WsSignaller, OwnIdHeldByAnotherIsRetriedAndReported) {
  Relay relay;
  ASSERT_TRUE(relay.start(0));
  std::string url = relay.url();
  RawClient listener;
  ASSERT_TRUE(listener.connect(url + "/"));
  ASSERT_TRUE(listener.wait(proto::Type::Welcome));
  listener.send(R"({"type":"setPeerStatus","roles":["listener"],"meta":null})");

  /* The producer has held cam1 before... */
  Peer producer(GWS_SIGNALLER_ROLE_PRODUCER, uri(url, "peer-id=cam1"));
  gws_signaller_start(producer.s);
  ASSERT_TRUE(producer->wait_connected(true));
  gws_signaller_stop(producer.s);
  ASSERT_TRUE(listener.wait(
      proto::Type::PeerStatusChanged, [](const proto::Message &m) {
        return m.peer_id == "cam1" && m.roles == 0;
      }));

  /* ...someone else has it now (as after a relay restart, where our old
   * connection may not be reaped yet): the producer keeps trying, and tells
   * the user after a few refusals, without giving up. */
  RawClient squatter;
  ASSERT_TRUE(squatter.connect(url + "/?peer-id=cam1"));
  ASSERT_TRUE(squatter.wait(proto::Type::Welcome));
  gws_signaller_start(producer.s);
  auto err = producer->wait("error::retrying");
  ASSERT_TRUE(err);
  EXPECT_NE(
      err->text.find("\"cam1\" is held by another peer"), std::string::npos)
      << err->text;
  EXPECT_EQ(producer->count("error::fatal"), 0);

  squatter.close();
  ASSERT_TRUE(producer->wait_connected(true));
}

TEST_F(WsSignaller, HungRelayIsDetectedAndReconnected) {
  Relay relay;
  ASSERT_TRUE(relay.start(0));
  Peer producer(GWS_SIGNALLER_ROLE_PRODUCER, uri(relay.url(), "peer-id=cam1"));
  g_object_set(producer.s, "keepalive-interval", 1u, nullptr);
  gws_signaller_start(producer.s);
  ASSERT_TRUE(producer->wait_connected(true));

  /* A healthy idle relay answers the pings: no false alarm over several
   * intervals (the dead limit is three). */
  EXPECT_FALSE(producer->wait("connection-changed", nullptr, 4500ms));

  /* The process hangs: TCP stays up, nothing answers. */
  relay.send_signal(SIGSTOP);
  ASSERT_TRUE(producer->wait_connected(false));
  relay.send_signal(SIGCONT);
  ASSERT_TRUE(producer->wait_connected(true));
  EXPECT_EQ(producer->count("error::fatal"), 0);

  Peer consumer(GWS_SIGNALLER_ROLE_CONSUMER, uri(relay.url(), "peer-id=cam1"));
  EXPECT_FALSE(start_session(producer, consumer).empty());
}

TEST_F(WsSignaller, DroppingTheLastReferenceAnywhereCleansUp) {
  Relay relay;
  ASSERT_TRUE(relay.start(0));
  RawClient listener;
  ASSERT_TRUE(listener.connect(relay.url() + "/"));
  ASSERT_TRUE(listener.wait(proto::Type::Welcome));
  listener.send(R"({"type":"setPeerStatus","roles":["listener"],"meta":null})");

  /* Released while connected, without stop(): the relay sees it leave. */
  GwsSignaller *s = gws_ws_signaller_new(
      GWS_SIGNALLER_ROLE_PRODUCER, (relay.url() + "/?peer-id=gone").c_str());
  {
    Recorder rec(s);
    gws_signaller_start(s);
    ASSERT_TRUE(rec.wait_connected(true));
    g_signal_handlers_disconnect_matched(
        s, G_SIGNAL_MATCH_DATA, 0, 0, nullptr, nullptr, &rec);
  }
  g_object_unref(s);
  ASSERT_TRUE(listener.wait(
      proto::Type::PeerStatusChanged, [](const proto::Message &m) {
        return m.peer_id == "gone" && m.roles == 0;
      }));

  /* Released while its connect is in flight or its retry is pending: the
   * last reference then goes on the signaller's own thread. (Memory safety
   * of that path is what this checks, best under ASan.) */
  for (int i = 0; i < 20; i++) {
    GwsSignaller *t = gws_ws_signaller_new(
        GWS_SIGNALLER_ROLE_PRODUCER, (relay.url() + "/").c_str());
    gws_signaller_start(t);
    g_object_unref(t);
  }
  guint16 port = free_port();
  GwsSignaller *u = gws_ws_signaller_new(GWS_SIGNALLER_ROLE_PRODUCER,
      ("ws://127.0.0.1:" + std::to_string(port) + "/").c_str());
  gws_signaller_start(u);
  g_object_unref(u);

  /* The id of the first one is free again. */
  Peer again(GWS_SIGNALLER_ROLE_PRODUCER, uri(relay.url(), "peer-id=gone"));
  gws_signaller_start(again.s);
  ASSERT_TRUE(again->wait_connected(true));
}

TEST_P(RelaySignaller, WssChecksTheCertificateUnlessTold) {
  g_autofree gchar *openssl = g_find_program_in_path("openssl");
  if (!openssl)
    GTEST_SKIP() << "openssl not installed: cannot make a test certificate";
  g_autofree gchar *dir = g_dir_make_tmp("gws-sig-tls-XXXXXX", nullptr);
  ASSERT_NE(dir, nullptr);
  std::string key = std::string(dir) + "/key.pem";
  std::string cert = std::string(dir) + "/cert.pem";
  const gchar *argv[] = {openssl, "req", "-x509", "-newkey", "rsa:2048",
      "-nodes", "-keyout", key.c_str(), "-out", cert.c_str(), "-days", "1",
      "-subj", "/CN=127.0.0.1", nullptr};
  gint status = -1;
  ASSERT_TRUE(g_spawn_sync(nullptr, const_cast<gchar **>(argv), nullptr,
      static_cast<GSpawnFlags>(
          G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL),
      nullptr, nullptr, nullptr, nullptr, &status, nullptr));
  ASSERT_TRUE(g_spawn_check_wait_status(status, nullptr));

  Relay relay;
  ASSERT_TRUE(relay.start(0, {"--cert", cert, "--key", key}));
  std::string url = relay.url();
  ASSERT_EQ(url.rfind("wss://", 0), 0u) << url;

  /* Self-signed and checked: refused, with the way out in the message. */
  Peer strict(GWS_SIGNALLER_ROLE_PRODUCER, uri(url, "peer-id=tls1"));
  gws_signaller_start(strict.s);
  auto err = strict->wait("error::fatal");
  ASSERT_TRUE(err);
  EXPECT_NE(err->text.find("tls-validation=false"), std::string::npos)
      << err->text;

  /* Not checked: works end to end. */
  Peer producer(GWS_SIGNALLER_ROLE_PRODUCER, uri(url, "peer-id=tls1"));
  g_object_set(producer.s, "tls-validation", FALSE, nullptr);
  gws_signaller_start(producer.s);
  ASSERT_TRUE(producer->wait_connected(true));
  Peer consumer(GWS_SIGNALLER_ROLE_CONSUMER, uri(url, "peer-id=tls1"));
  g_object_set(consumer.s, "tls-validation", FALSE, nullptr);
  EXPECT_FALSE(start_session(producer, consumer).empty());

  g_unlink(key.c_str());
  g_unlink(cert.c_str());
  g_rmdir(dir);
}

TEST_F(WsSignaller, UnknownSchemeIsRefused) {
  g_autoptr(GError) err = nullptr;
  EXPECT_EQ(gws_signaller_new_for_uri(
                "xmpp://127.0.0.1/", GWS_SIGNALLER_ROLE_PRODUCER, &err),
      nullptr);
  ASSERT_TRUE(g_error_matches(
      err, GWS_SIGNALLER_ERROR, GWS_SIGNALLER_ERROR_UNKNOWN_SCHEME));
}

} // namespace
