/* gst-webrtc-session: the relay protocol over HTTP long-poll, client side
 * (see longpoll-transport.h). */
#include "longpoll-transport.h"

#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include <algorithm>

GST_DEBUG_CATEGORY_STATIC(gws_longpoll_transport_debug);
#define GST_CAT_DEFAULT gws_longpoll_transport_debug

namespace gws {

namespace {

/* Nothing answered for this many keepalive intervals: the relay is gone. */
constexpr guint kDeadIntervals = 3;
/* A failed GET is asked again after this, doubling up to the maximum. */
constexpr guint kRetryMinMs = 100;
constexpr guint kRetryMaxMs = 2000;
/* A GET not answered within the relay's hold time plus this is lost (the
 * session has no timeout of its own: a GET over a dead TCP connection
 * would wait forever). */
constexpr guint kGetMarginS = 10;

void
init_debug() {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(gws_longpoll_transport_debug,
        "webrtc-signaller-poll", 0,
        "relay protocol over HTTP long-poll (poll+http://)");
    g_once_init_leave(&once, 1);
  }
}

gboolean
accept_any_certificate(
    SoupMessage *, GTlsCertificate *, GTlsCertificateFlags, gpointer) {
  return TRUE;
}

std::string
body_text(GBytes *body) {
  if (!body)
    return {};
  gsize size = 0;
  auto *data = static_cast<const char *>(g_bytes_get_data(body, &size));
  return std::string(data ? data : "", size);
}

} // namespace

struct LongPollTransport::Request {
  std::weak_ptr<LongPollTransport> owner;
  SoupMessage *msg; /* owned reference */
  void (LongPollTransport::*handler)(SoupMessage *, GBytes *, GError *);
};

LongPollTransport::LongPollTransport(
    SoupSession *session, LongPollOptions options, Callbacks callbacks)
    : session_(SOUP_SESSION(g_object_ref(session))),
      options_(std::move(options)), callbacks_(std::move(callbacks)) {
  init_debug();
  cancellable_ = g_cancellable_new();
}

LongPollTransport::~LongPollTransport() {
  stop_get();
  g_cancellable_cancel(cancellable_);
  g_object_unref(cancellable_);
  if (timer_) {
    g_source_destroy(timer_);
    g_source_unref(timer_);
  }
  g_object_unref(session_);
}

SoupMessage *
LongPollTransport::make(const char *method, const std::string &url) {
  SoupMessage *msg = soup_message_new(method, url.c_str());
  if (!msg)
    return nullptr;
  if (!options_.token.empty()) {
    std::string auth = "Bearer " + options_.token;
    soup_message_headers_replace(
        soup_message_get_request_headers(msg), "Authorization", auth.c_str());
  }
  if (!options_.tls_validation)
    g_signal_connect(
        msg, "accept-certificate", G_CALLBACK(accept_any_certificate), nullptr);
  return msg;
}

void
LongPollTransport::stop_get() {
  if (get_timer_) {
    g_source_destroy(get_timer_);
    g_source_unref(get_timer_);
    get_timer_ = nullptr;
  }
  if (get_cancellable_) {
    g_cancellable_cancel(get_cancellable_);
    g_clear_object(&get_cancellable_);
  }
}

void
LongPollTransport::start(SoupMessage *msg,
    void (LongPollTransport::*handler)(SoupMessage *, GBytes *, GError *),
    GCancellable *cancellable) {
  auto *req = new Request{weak_from_this(), msg, handler};
  soup_session_send_and_read_async(
      session_, msg, G_PRIORITY_DEFAULT,
      cancellable ? cancellable : cancellable_,
      [](GObject *source, GAsyncResult *res, gpointer data) {
        std::unique_ptr<Request> req(static_cast<Request *>(data));
        g_autoptr(GError) err = nullptr;
        g_autoptr(GBytes) body = soup_session_send_and_read_finish(
            SOUP_SESSION(source), res, &err);
        /* Held for the whole handler: a callback may drop the last other
         * reference (the signaller forgetting us). */
        std::shared_ptr<LongPollTransport> self = req->owner.lock();
        if (self) {
          try {
            (self.get()->*req->handler)(req->msg, body, err);
          } catch (const std::exception &e) {
            GST_ERROR("internal error: %s", e.what());
          }
        }
        g_object_unref(req->msg);
      },
      req);
}

void
LongPollTransport::open() {
  std::string url
      = options_.base + (options_.query.empty() ? "" : "?" + options_.query);
  SoupMessage *msg = make(SOUP_METHOD_POST, url);
  if (!msg) {
    Failure f;
    f.message = "invalid URL " + url;
    if (callbacks_.failed)
      callbacks_.failed(f);
    return;
  }
  soup_message_set_request_body_from_bytes(msg, nullptr, nullptr);
  GST_DEBUG_OBJECT(options_.log_object, "opening %s", options_.base.c_str());
  timer_ = g_timeout_source_new(options_.connect_timeout_ms);
  g_source_set_callback(
      timer_,
      [](gpointer data) -> gboolean {
        auto *self = static_cast<LongPollTransport *>(data);
        g_source_unref(self->timer_);
        self->timer_ = nullptr;
        if (self->is_open_ || self->closed_)
          return G_SOURCE_REMOVE;
        self->closed_ = true;
        g_cancellable_cancel(self->cancellable_);
        Failure f;
        f.timed_out = true;
        f.message = "no answer";
        auto keep = self->shared_from_this();
        if (self->callbacks_.failed)
          self->callbacks_.failed(f);
        return G_SOURCE_REMOVE;
      },
      this, nullptr);
  g_source_attach(timer_, g_main_context_get_thread_default());
  start(msg, &LongPollTransport::on_opened);
}

void
LongPollTransport::on_opened(SoupMessage *msg, GBytes *body, GError *error) {
  if (closed_)
    return;
  if (timer_) {
    g_source_destroy(timer_);
    g_source_unref(timer_);
    timer_ = nullptr;
  }
  guint status = soup_message_get_status(msg);
  std::string id;
  if (!error && status == SOUP_STATUS_OK) {
    g_autoptr(JsonParser) parser = json_parser_new();
    std::string text = body_text(body);
    if (json_parser_load_from_data(
            parser, text.data(), static_cast<gssize>(text.size()), nullptr)
        && JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
      JsonObject *o = json_node_get_object(json_parser_get_root(parser));
      if (const char *v
          = json_object_get_string_member_with_default(o, "id", nullptr))
        id = v;
      gint64 hold = json_object_get_int_member_with_default(o, "hold", 25);
      hold_s_ = static_cast<guint>(CLAMP(hold, 1, 3600));
    }
  }
  if (id.empty() || id.find_first_of("/?#") != std::string::npos) {
    Failure f;
    f.http_status = error ? 0 : status;
    f.tls = soup_message_get_tls_peer_certificate_errors(msg) != 0
            || g_error_matches(error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
    f.message = error                      ? error->message
                : status == SOUP_STATUS_OK ? "not a long-poll endpoint"
                                           : soup_status_get_phrase(status);
    closed_ = true;
    if (callbacks_.failed)
      callbacks_.failed(f);
    return;
  }
  url_ = options_.base + "/" + id;
  is_open_ = true;
  last_answer_us_ = g_get_monotonic_time();
  GST_DEBUG_OBJECT(options_.log_object, "long-poll connection open");
  if (callbacks_.opened)
    callbacks_.opened();
  if (closed_)
    return;
  poll();
  flush();
}

void
LongPollTransport::poll() {
  stop_get();
  std::string url = url_ + "?after=" + std::to_string(last_);
  get_cancellable_ = g_cancellable_new();
  get_timer_ = g_timeout_source_new_seconds(hold_s_ + kGetMarginS);
  g_source_set_callback(
      get_timer_,
      [](gpointer data) -> gboolean {
        /* on_polled sees the cancellation and asks again. */
        auto *self = static_cast<LongPollTransport *>(data);
        g_source_unref(self->get_timer_);
        self->get_timer_ = nullptr;
        g_cancellable_cancel(self->get_cancellable_);
        return G_SOURCE_REMOVE;
      },
      this, nullptr);
  g_source_attach(get_timer_, g_main_context_get_thread_default());
  start(make(SOUP_METHOD_GET, url), &LongPollTransport::on_polled,
      get_cancellable_);
}

void
LongPollTransport::on_polled(SoupMessage *msg, GBytes *body, GError *error) {
  if (closed_)
    return;
  if (get_timer_) {
    g_source_destroy(get_timer_);
    g_source_unref(get_timer_);
    get_timer_ = nullptr;
  }
  guint status = soup_message_get_status(msg);
  if (!error
      && (status == SOUP_STATUS_NOT_FOUND || status == SOUP_STATUS_GONE
          || status == SOUP_STATUS_UNAUTHORIZED
          || status == SOUP_STATUS_BAD_REQUEST
          || status == SOUP_STATUS_CONFLICT)) {
    lost("the relay refused our poll (HTTP " + std::to_string(status) + " "
         + soup_status_get_phrase(status) + "): " + body_text(body));
    return;
  }
  JsonArray *messages = nullptr;
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonObject *answer = nullptr;
  if (!error && status == SOUP_STATUS_OK) {
    std::string text = body_text(body);
    if (json_parser_load_from_data(
            parser, text.data(), static_cast<gssize>(text.size()), nullptr)
        && JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
      answer = json_node_get_object(json_parser_get_root(parser));
      JsonNode *m = json_object_get_member(answer, "messages");
      if (m && JSON_NODE_HOLDS_ARRAY(m)
          && json_object_has_member(answer, "last"))
        messages = json_node_get_array(m);
    }
  }
  if (!messages
      && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED)) {
    /* Nobody listens there any more (the relay stopped): not a lost GET. */
    lost(std::string("the relay is gone: ") + error->message);
    return;
  }
  if (!messages) {
    /* A GET lost on the way (a proxy cut it, a network blip): ask again
     * for the same messages, until the relay has been silent too long. */
    gint64 silent_us = g_get_monotonic_time() - last_answer_us_;
    /* Three keepalive intervals, but never less than two hold times and
     * the margin (a proxy may cut every held GET). */
    gint64 limit_us = G_GINT64_CONSTANT(1000000)
                      * std::max(options_.keepalive_s * kDeadIntervals,
                          2 * hold_s_ + kGetMarginS);
    std::string why = error ? error->message
                            : "HTTP " + std::to_string(status) + " "
                                  + soup_status_get_phrase(status);
    if (silent_us > limit_us) {
      lost("no answer from the relay for " + std::to_string(silent_us / 1000000)
           + " s (" + why + ")");
      return;
    }
    guint delay
        = std::min(kRetryMaxMs, kRetryMinMs << std::min(poll_failures_, 5u));
    poll_failures_++;
    GST_INFO_OBJECT(options_.log_object, "poll failed (%s), again in %u ms",
        why.c_str(), delay);
    timer_ = g_timeout_source_new(delay);
    g_source_set_callback(
        timer_,
        [](gpointer data) -> gboolean {
          auto *self = static_cast<LongPollTransport *>(data);
          g_source_unref(self->timer_);
          self->timer_ = nullptr;
          if (!self->closed_)
            self->poll();
          return G_SOURCE_REMOVE;
        },
        this, nullptr);
    g_source_attach(timer_, g_main_context_get_thread_default());
    return;
  }
  poll_failures_ = 0;
  last_answer_us_ = g_get_monotonic_time();
  auto last = static_cast<guint64>(json_object_get_int_member(answer, "last"));
  guint n = json_array_get_length(messages);
  if (last < last_ || last - last_ != n) {
    lost("the relay's message numbers do not follow ours (" + std::to_string(n)
         + " messages after " + std::to_string(last_) + " ending at "
         + std::to_string(last) + ")");
    return;
  }
  last_ = last;
  for (guint i = 0; i < n; i++) {
    g_autofree char *text
        = json_to_string(json_array_get_element(messages, i), FALSE);
    if (callbacks_.message)
      callbacks_.message(text);
    if (closed_)
      return;
  }
  if (json_object_has_member(answer, "closed")) {
    const char *why = json_object_get_string_member_with_default(
        answer, "closed", "closed");
    lost(std::string("the relay closed the connection: ") + why);
    return;
  }
  poll();
}

void
LongPollTransport::send(const std::string &text) {
  if (closed_ || !is_open_)
    return;
  outgoing_.push_back(text);
  flush();
}

void
LongPollTransport::flush() {
  if (posting_ || !is_open_)
    return;
  if (outgoing_.empty()) {
    if (closing_)
      finish_close();
    return;
  }
  /* Everything queued leaves in one POST, in order. */
  std::string body = "[";
  for (size_t i = 0; i < outgoing_.size(); i++)
    body += (i ? "," : "") + outgoing_[i];
  body += "]";
  outgoing_.clear();
  SoupMessage *msg = make(SOUP_METHOD_POST, url_);
  g_autoptr(GBytes) bytes = g_bytes_new(body.data(), body.size());
  soup_message_set_request_body_from_bytes(msg, "application/json", bytes);
  posting_ = true;
  start(msg, &LongPollTransport::on_posted);
}

void
LongPollTransport::on_posted(SoupMessage *msg, GBytes *body, GError *error) {
  posting_ = false;
  guint status = soup_message_get_status(msg);
  if (error || status != SOUP_STATUS_NO_CONTENT) {
    if (closing_) {
      finish_close();
      return;
    }
    if (closed_)
      return;
    if (!error && status == SOUP_STATUS_GONE) {
      /* The relay closed this connection (a refused claim, flooding):
       * its last messages, the reason among them, wait for our GET,
       * which reports the close once it has delivered them. Reporting it
       * here instead lost the reason (seen: a claim refused before the
       * first GET came back looked like a dropped connection, and the
       * signaller reconnected instead of reporting the refusal). */
      GST_INFO_OBJECT(options_.log_object,
          "the relay closed this connection; reading its last messages");
      outgoing_.clear();
      return;
    }
    lost(std::string("could not send to the relay: ")
         + (error ? error->message
                  : "HTTP " + std::to_string(status) + " " + body_text(body)));
    return;
  }
  flush();
}

void
LongPollTransport::lost(const std::string &why) {
  if (closed_)
    return;
  closed_ = true;
  is_open_ = false;
  stop_get();
  g_cancellable_cancel(cancellable_);
  GST_INFO_OBJECT(
      options_.log_object, "long-poll connection lost: %s", why.c_str());
  if (callbacks_.closed)
    callbacks_.closed(why);
}

void
LongPollTransport::close(bool graceful, std::function<void()> done) {
  bool was_open = is_open_ && !closed_;
  closed_ = true;
  if (timer_) {
    g_source_destroy(timer_);
    g_source_unref(timer_);
    timer_ = nullptr;
  }
  if (!graceful || !was_open) {
    stop_get();
    g_cancellable_cancel(cancellable_);
    is_open_ = false;
    if (done)
      done();
    return;
  }
  /* Let the queued messages go, then say goodbye (DELETE). The held GET
   * stays in flight; its answer is ignored. */
  closing_ = true;
  close_done_ = std::move(done);
  flush();
}

void
LongPollTransport::finish_close() {
  if (!closing_)
    return;
  closing_ = false;
  is_open_ = false;
  struct DeleteOp {
    std::weak_ptr<LongPollTransport> owner;
    SoupMessage *msg;
  };
  auto *op = new DeleteOp{weak_from_this(), make(SOUP_METHOD_DELETE, url_)};
  /* `done` once the relay answered (or could not be reached); the relay
   * reaps us anyway if the DELETE never arrives. */
  soup_session_send_and_read_async(
      session_, op->msg, G_PRIORITY_DEFAULT, nullptr,
      [](GObject *source, GAsyncResult *res, gpointer data) {
        std::unique_ptr<DeleteOp> op(static_cast<DeleteOp *>(data));
        GBytes *body = soup_session_send_and_read_finish(
            SOUP_SESSION(source), res, nullptr);
        if (body)
          g_bytes_unref(body);
        g_object_unref(op->msg);
        /* Held for the call: `done` may drop the owner's reference. */
        std::shared_ptr<LongPollTransport> self = op->owner.lock();
        if (!self)
          return;
        auto done = std::move(self->close_done_);
        self->close_done_ = nullptr;
        if (done)
          done();
      },
      op);
  stop_get(); /* the held GET */
}

void
LongPollTransport::abort() {
  closed_ = true;
  closing_ = false;
  is_open_ = false;
  close_done_ = nullptr;
  if (timer_) {
    g_source_destroy(timer_);
    g_source_unref(timer_);
    timer_ = nullptr;
  }
  stop_get();
  g_cancellable_cancel(cancellable_);
}

} // namespace gws
