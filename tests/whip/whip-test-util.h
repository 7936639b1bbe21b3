/* Helpers for the WHIP/WHEP signaller tests: a recorder of signaller
 * signals with waits, a synchronous HTTP client, a scriptable HTTP server on
 * its own thread, and canned SDP. Everything on 127.0.0.1. */
#pragma once

#include "gws-signaller.h"

#include <gst/sdp/sdp.h>
#include <libsoup/soup.h>

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace whiptest {

constexpr auto kWait = std::chrono::seconds(10);

inline std::string
make_sdp(const char *direction, const char *ufrag, bool two_media = false) {
  std::string s = "v=0\r\n"
                  "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
                  "s=-\r\n"
                  "t=0 0\r\n";
  s += two_media ? "a=group:BUNDLE 0 1\r\n" : "a=group:BUNDLE 0\r\n";
  auto media = [&](const char *kind, int mid, const char *fmt,
                   const char *rtpmap) {
    s += std::string("m=") + kind + " 9 UDP/TLS/RTP/SAVPF " + fmt + "\r\n";
    s += "c=IN IP4 0.0.0.0\r\n";
    s += "a=mid:" + std::to_string(mid) + "\r\n";
    s += std::string("a=ice-ufrag:") + ufrag + "\r\n";
    s += "a=ice-pwd:0123456789abcdefghijklmn\r\n";
    s += "a=fingerprint:sha-256 "
         "11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:"
         "77:88:99:AA:BB:CC:DD:EE:FF:00\r\n";
    s += "a=setup:actpass\r\n";
    s += std::string("a=") + direction + "\r\n";
    s += "a=rtcp-mux\r\n";
    s += std::string("a=rtpmap:") + fmt + " " + rtpmap + "\r\n";
  };
  media("video", 0, "96", "VP8/90000");
  if (two_media)
    media("audio", 1, "111", "OPUS/48000/2");
  return s;
}

inline GstWebRTCSessionDescription *
make_desc(GstWebRTCSDPType type, const std::string &text) {
  GstSDPMessage *msg = nullptr;
  gst_sdp_message_new_from_text(text.c_str(), &msg);
  return gst_webrtc_session_description_new(type, msg);
}

inline std::string
desc_text(const GstWebRTCSessionDescription *desc) {
  gchar *t = gst_sdp_message_as_text(desc->sdp);
  std::string out = t;
  g_free(t);
  return out;
}

/* A captureless lambda as a GCallback (no macro: lambdas have commas). */
template <typename F>
GCallback
cb(F f) {
  return reinterpret_cast<GCallback>(+f);
}

/* Records a signaller's signals; tests wait on them.
 *
 * The signals come on the signaller's thread and may still be in flight
 * when the Recorder goes (a server's stop emits session-ended on its
 * worker while the test returns): what they touch is a State each handler
 * holds a reference to (released when GLib drops the handler, after any
 * emission under way), and once the Recorder is gone they record
 * nothing. */
class Recorder {
 public:
  struct Event {
    std::string name; /* signal name */
    std::string session_id;
    std::string a; /* peer / sdp text / candidate / reason / message */
    std::string b; /* offer text (session-requested), mid */
    guint mline = 0;
    bool flag = false; /* connection-changed */
  };

 private:
  struct State {
    std::mutex lock; /* guards events, closed */
    std::condition_variable cond;
    std::vector<Event> events;
    bool closed = false;
    /* Set by the test before the signals it reacts to can come. */
    std::function<void(const Event &)> on_event;
  };
  using Ref = std::shared_ptr<State>;

  static void push(Ref *state, const Event &e) {
    State &st = **state;
    {
      std::lock_guard<std::mutex> g(st.lock);
      if (st.closed)
        return;
    }
    if (st.on_event)
      st.on_event(e);
    std::lock_guard<std::mutex> g(st.lock);
    st.events.push_back(e);
    st.cond.notify_all();
  }

 public:
  explicit Recorder(GwsSignaller *sig)
      : state_(std::make_shared<State>()), on_event(state_->on_event),
        sig_(static_cast<GwsSignaller *>(g_object_ref(sig))) {
    auto add = [this](const char *name, GCallback cb) {
      handlers_.push_back(g_signal_connect_data(
          sig_, name, cb, new Ref(state_),
          +[](gpointer data, GClosure *) { delete static_cast<Ref *>(data); },
          GConnectFlags(0)));
    };
    add("session-requested",
        cb([](GwsSignaller *, const char *sid, const char *peer,
               GstWebRTCSessionDescription *offer, Ref *r) {
          push(r, {"session-requested", sid, peer ? peer : "",
                      offer ? desc_text(offer) : ""});
        }));
    add("session-started",
        cb([](GwsSignaller *, const char *sid, const char *peer, Ref *r) {
          push(r, {"session-started", sid, peer ? peer : ""});
        }));
    add("session-description", cb([](GwsSignaller *, const char *sid,
                                      GstWebRTCSessionDescription *d, Ref *r) {
      push(r, {"session-description", sid, desc_text(d),
                  gst_webrtc_sdp_type_to_string(d->type)});
    }));
    add("handle-ice", cb([](GwsSignaller *, const char *sid, guint mline,
                             const char *mid, const char *cand, Ref *r) {
      Event e{"handle-ice", sid, cand ? cand : "", mid ? mid : ""};
      e.mline = mline;
      push(r, e);
    }));
    add("session-ended",
        cb([](GwsSignaller *, const char *sid, const char *reason, Ref *r) {
          push(r, {"session-ended", sid, reason ? reason : ""});
        }));
    add("error", cb([](GwsSignaller *, const char *msg, Ref *r) {
      push(r, {"error", "", msg ? msg : ""});
    }));
    add("connection-changed", cb([](GwsSignaller *, gboolean up, Ref *r) {
      Event e{"connection-changed"};
      e.flag = up;
      push(r, e);
    }));
  }
  ~Recorder() {
    {
      std::lock_guard<std::mutex> g(state_->lock);
      state_->closed = true;
    }
    for (gulong h : handlers_)
      g_signal_handler_disconnect(sig_, h);
    g_object_unref(sig_);
  }
  Recorder(const Recorder &) = delete;
  Recorder &operator=(const Recorder &) = delete;

 private:
  Ref state_;

 public:
  /* Called with every event, on the signaller's thread (to act as a bin). */
  std::function<void(const Event &)> &on_event;

  /* Waits for the @n-th (1-based) event called @name; false on timeout. */
  bool wait(const std::string &name, Event *out = nullptr, size_t n = 1) {
    std::unique_lock<std::mutex> g(state_->lock);
    bool ok
        = state_->cond.wait_for(g, kWait, [&]() { return count(name) >= n; });
    if (ok && out) {
      size_t seen = 0;
      for (const auto &e : state_->events)
        if (e.name == name && ++seen == n)
          *out = e;
    }
    return ok;
  }
  size_t count_of(const std::string &name) {
    std::lock_guard<std::mutex> g(state_->lock);
    return count(name);
  }

 private:
  size_t count(const std::string &name) const {
    size_t n = 0;
    for (const auto &e : state_->events)
      n += e.name == name;
    return n;
  }

  GwsSignaller *sig_;
  std::vector<gulong> handlers_;
};

/* Synchronous HTTP from the test thread. */
struct HttpResponse {
  guint status = 0;
  std::string body;
  std::map<std::string, std::string> headers; /* lower-case names */
  std::string header(const std::string &name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

inline HttpResponse
http(const char *method, const std::string &url, const char *content_type,
    const std::string &body,
    const std::map<std::string, std::string> &headers = {}) {
  static SoupSession *session = soup_session_new();
  HttpResponse r;
  SoupMessage *msg = soup_message_new(method, url.c_str());
  EXPECT_NE(msg, nullptr) << url;
  if (!msg)
    return r;
  soup_message_add_flags(msg, SOUP_MESSAGE_NO_REDIRECT);
  for (const auto &[k, v] : headers)
    soup_message_headers_replace(
        soup_message_get_request_headers(msg), k.c_str(), v.c_str());
  if (content_type) {
    GBytes *b = g_bytes_new(body.data(), body.size());
    soup_message_set_request_body_from_bytes(msg, content_type, b);
    g_bytes_unref(b);
  }
  GError *error = nullptr;
  GBytes *out = soup_session_send_and_read(session, msg, nullptr, &error);
  if (!out) {
    ADD_FAILURE() << method << " " << url << ": " << error->message;
    g_error_free(error);
    g_object_unref(msg);
    return r;
  }
  gsize size = 0;
  const char *data = static_cast<const char *>(g_bytes_get_data(out, &size));
  r.body.assign(data ? data : "", size);
  g_bytes_unref(out);
  r.status = soup_message_get_status(msg);
  SoupMessageHeadersIter iter;
  const char *name, *value;
  soup_message_headers_iter_init(&iter, soup_message_get_response_headers(msg));
  while (soup_message_headers_iter_next(&iter, &name, &value)) {
    gchar *lower = g_ascii_strdown(name, -1);
    std::string &slot = r.headers[lower];
    slot = slot.empty() ? value : slot + ", " + value;
    g_free(lower);
  }
  g_object_unref(msg);
  return r;
}

/* A scriptable HTTP server on its own thread (stands in for third-party
 * WHIP/WHEP servers: redirects, refusals, Link headers). */
class ScriptServer {
 public:
  struct Request {
    std::string method, path, content_type, body, authorization, if_match;
  };
  using Handler = std::function<void(SoupServerMessage *, const Request &)>;

  explicit ScriptServer(Handler handler) : handler_(std::move(handler)) {
    context_ = g_main_context_new();
    loop_ = g_main_loop_new(context_, FALSE);
    std::unique_lock<std::mutex> g(lock_);
    thread_ = g_thread_new("script-server", run, this);
    cond_.wait(g, [this]() { return port_ != 0; });
  }
  ~ScriptServer() {
    /* Quit from inside the loop: it may not be running yet. */
    GSource *quit = g_idle_source_new();
    g_source_set_callback(
        quit,
        [](gpointer loop) -> gboolean {
          g_main_loop_quit(static_cast<GMainLoop *>(loop));
          return G_SOURCE_REMOVE;
        },
        loop_, nullptr);
    g_source_attach(quit, context_);
    g_source_unref(quit);
    g_thread_join(thread_);
    g_main_loop_unref(loop_);
    g_main_context_unref(context_);
  }
  std::string url(const std::string &path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<Request> requests() {
    std::lock_guard<std::mutex> g(lock_);
    return requests_;
  }
  bool wait_requests(size_t n) {
    std::unique_lock<std::mutex> g(lock_);
    return cond_.wait_for(g, kWait, [&]() { return requests_.size() >= n; });
  }

  static void reply(SoupServerMessage *msg, guint status,
      const char *content_type = nullptr, const std::string &body = "") {
    soup_server_message_set_status(msg, status, nullptr);
    if (content_type)
      soup_server_message_set_response(
          msg, content_type, SOUP_MEMORY_COPY, body.data(), body.size());
  }
  static void header(SoupServerMessage *msg, const char *k, const char *v) {
    soup_message_headers_append(
        soup_server_message_get_response_headers(msg), k, v);
  }

 private:
  static gpointer run(gpointer data) {
    auto *self = static_cast<ScriptServer *>(data);
    g_main_context_push_thread_default(self->context_);
    SoupServer *server = soup_server_new(nullptr, nullptr);
    GError *error = nullptr;
    GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    GSocketAddress *addr = g_inet_socket_address_new(lo, 0);
    soup_server_listen(
        server, addr, static_cast<SoupServerListenOptions>(0), &error);
    g_object_unref(addr);
    g_object_unref(lo);
    g_assert_no_error(error);
    soup_server_add_handler(
        server, nullptr,
        [](SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *,
            gpointer data) {
          auto *self = static_cast<ScriptServer *>(data);
          SoupMessageHeaders *in = soup_server_message_get_request_headers(msg);
          auto get = [in](const char *n) {
            const char *v = soup_message_headers_get_one(in, n);
            return std::string(v ? v : "");
          };
          SoupMessageBody *b = soup_server_message_get_request_body(msg);
          Request r{soup_server_message_get_method(msg), path,
              get("Content-Type"),
              std::string(b->data ? b->data : "", b->length),
              get("Authorization"), get("If-Match")};
          self->handler_(msg, r);
          std::lock_guard<std::mutex> g(self->lock_);
          self->requests_.push_back(r);
          self->cond_.notify_all();
        },
        self, nullptr);
    GSList *uris = soup_server_get_uris(server);
    {
      std::lock_guard<std::mutex> g(self->lock_);
      self->port_ = g_uri_get_port(static_cast<GUri *>(uris->data));
      self->cond_.notify_all();
    }
    g_slist_free_full(uris, reinterpret_cast<GDestroyNotify>(g_uri_unref));
    g_main_loop_run(self->loop_);
    soup_server_disconnect(server);
    g_object_unref(server);
    g_main_context_pop_thread_default(self->context_);
    return nullptr;
  }

  Handler handler_;
  GMainContext *context_;
  GMainLoop *loop_;
  GThread *thread_;
  std::mutex lock_;
  std::condition_variable cond_;
  int port_ = 0;
  std::vector<Request> requests_;
};

} // namespace whiptest
