/* gst-webrtc-session: the relay protocol over WebSocket, client side (see
 * websocket-transport.h). */
#include "websocket-transport.h"

#include <gst/gst.h>

GST_DEBUG_CATEGORY_STATIC(gws_websocket_transport_debug);
#define GST_CAT_DEFAULT gws_websocket_transport_debug

namespace gws {

namespace {

/* Nothing heard (message or pong) for this many keepalive intervals: the
 * relay is gone even if TCP does not say so (host down, link cut). */
constexpr guint kDeadIntervals = 3;

void
init_debug() {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(gws_websocket_transport_debug,
        "webrtc-signaller-ws-transport", 0,
        "relay protocol over WebSocket (ws://, wss://)");
    g_once_init_leave(&once, 1);
  }
}

gboolean
accept_any_certificate(
    SoupMessage *, GTlsCertificate *, GTlsCertificateFlags, gpointer) {
  return TRUE;
}

void
destroy_source(GSource *&source) {
  if (!source)
    return;
  g_source_destroy(source);
  g_source_unref(source);
  source = nullptr;
}

/* Closes a connection at once (no close handshake) and drops it. Unreffing
 * alone could leave the socket open when no main loop runs for it any
 * more. */
void
abort_ws(SoupWebsocketConnection *ws, gpointer handler_data) {
  g_signal_handlers_disconnect_by_data(ws, handler_data);
  GIOStream *io = soup_websocket_connection_get_io_stream(ws);
  if (io && !g_io_stream_is_closed(io))
    g_io_stream_close(io, nullptr, nullptr);
  g_object_unref(ws);
}

} // namespace

struct WebSocketTransport::ConnectOp {
  std::weak_ptr<WebSocketTransport> owner;
  SoupMessage *msg; /* owned reference */
};

WebSocketTransport::WebSocketTransport(
    SoupSession *session, WebSocketOptions options, Callbacks callbacks)
    : session_(SOUP_SESSION(g_object_ref(session))),
      options_(std::move(options)), callbacks_(std::move(callbacks)) {
  init_debug();
}

WebSocketTransport::~WebSocketTransport() {
  clear_sources();
  if (cancellable_) {
    g_cancellable_cancel(cancellable_);
    g_object_unref(cancellable_);
  }
  if (ws_)
    abort_ws(ws_, this);
  g_object_unref(session_);
}

void
WebSocketTransport::clear_sources() {
  destroy_source(connect_timer_);
  destroy_source(liveness_);
}

void
WebSocketTransport::open() {
  SoupMessage *msg = soup_message_new(SOUP_METHOD_GET, options_.url.c_str());
  if (!msg) {
    closed_ = true;
    Failure f;
    f.message = "invalid URL " + options_.url;
    if (callbacks_.failed)
      callbacks_.failed(f);
    return;
  }
  if (!options_.token.empty()) {
    std::string auth = "Bearer " + options_.token;
    soup_message_headers_replace(
        soup_message_get_request_headers(msg), "Authorization", auth.c_str());
  }
  if (!options_.tls_validation)
    g_signal_connect(
        msg, "accept-certificate", G_CALLBACK(accept_any_certificate), nullptr);
  cancellable_ = g_cancellable_new();
  connect_timer_ = g_timeout_source_new(options_.connect_timeout_ms);
  g_source_set_callback(
      connect_timer_,
      [](gpointer data) -> gboolean {
        auto *self = static_cast<WebSocketTransport *>(data);
        g_source_unref(self->connect_timer_);
        self->connect_timer_ = nullptr;
        self->timed_out_ = true;
        g_cancellable_cancel(self->cancellable_);
        return G_SOURCE_REMOVE;
      },
      this, nullptr);
  g_source_attach(connect_timer_, g_main_context_get_thread_default());
  auto *op = new ConnectOp{weak_from_this(), msg};
  soup_session_websocket_connect_async(session_, msg, nullptr, nullptr,
      G_PRIORITY_DEFAULT, cancellable_, on_connected, op);
}

void
WebSocketTransport::on_connected(
    GObject *source, GAsyncResult *res, gpointer data) {
  std::unique_ptr<ConnectOp> op(static_cast<ConnectOp *>(data));
  g_autoptr(GError) err = nullptr;
  SoupWebsocketConnection *ws
      = soup_session_websocket_connect_finish(SOUP_SESSION(source), res, &err);
  /* Held for the whole call: a callback may drop the signaller's
   * reference. */
  std::shared_ptr<WebSocketTransport> self = op->owner.lock();
  if (!self || self->closed_) {
    if (ws) {
      soup_websocket_connection_close(
          ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, nullptr);
      g_object_unref(ws);
    }
  } else {
    try {
      self->connected(op->msg, ws, err);
    } catch (const std::exception &e) {
      GST_ERROR("internal error: %s", e.what());
    }
  }
  g_object_unref(op->msg);
}

void
WebSocketTransport::connected(
    SoupMessage *msg, SoupWebsocketConnection *ws, GError *err) {
  destroy_source(connect_timer_);
  g_clear_object(&cancellable_);
  if (!ws) {
    closed_ = true;
    Failure f;
    f.http_status = soup_message_get_status(msg);
    f.tls = soup_message_get_tls_peer_certificate_errors(msg)
            || g_error_matches(err, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
    f.timed_out = timed_out_;
    f.message = err ? err->message : "unknown error";
    if (callbacks_.failed)
      callbacks_.failed(f);
    return;
  }
  GST_DEBUG_OBJECT(
      options_.log_object, "WebSocket open to %s", options_.url.c_str());
  ws_ = ws;
  last_heard_us_ = g_get_monotonic_time();
  if (options_.keepalive_s > 0) {
    /* libsoup pings; any message or pong proves the relay is alive. */
    soup_websocket_connection_set_keepalive_interval(ws, options_.keepalive_s);
    if (g_signal_lookup("pong", SOUP_TYPE_WEBSOCKET_CONNECTION))
      g_signal_connect(ws, "pong",
          G_CALLBACK(+[](SoupWebsocketConnection *, GBytes *, gpointer data) {
            static_cast<WebSocketTransport *>(data)->last_heard_us_
                = g_get_monotonic_time();
          }),
          this);
    liveness_ = g_timeout_source_new_seconds(options_.keepalive_s);
    g_source_set_callback(liveness_, on_liveness, this, nullptr);
    g_source_attach(liveness_, g_main_context_get_thread_default());
  }
  soup_websocket_connection_set_max_incoming_payload_size(
      ws, options_.max_incoming_payload);
  g_signal_connect(ws, "message", G_CALLBACK(on_message), this);
  g_signal_connect(ws, "closed", G_CALLBACK(on_closed), this);
  if (callbacks_.opened)
    callbacks_.opened();
}

void
WebSocketTransport::on_message(
    SoupWebsocketConnection *, gint type, GBytes *data, gpointer user_data) {
  auto *self = static_cast<WebSocketTransport *>(user_data);
  self->last_heard_us_ = g_get_monotonic_time();
  if (type != SOUP_WEBSOCKET_DATA_TEXT || self->closed_)
    return;
  /* A callback may drop the last other reference to us. */
  auto keep = self->shared_from_this();
  gsize size = 0;
  const char *text = static_cast<const char *>(g_bytes_get_data(data, &size));
  try {
    if (self->callbacks_.message)
      self->callbacks_.message(std::string_view(text ? text : "", size));
  } catch (const std::exception &e) {
    GST_ERROR("internal error: %s", e.what());
  }
}

void
WebSocketTransport::on_closed(SoupWebsocketConnection *ws, gpointer user_data) {
  auto *self = static_cast<WebSocketTransport *>(user_data);
  auto keep = self->shared_from_this();
  const char *data = soup_websocket_connection_get_close_data(ws);
  std::string why
      = "closed (code "
        + std::to_string(soup_websocket_connection_get_close_code(ws))
        + (data && *data ? std::string(": ") + data : "") + ")";
  try {
    self->lost(why);
  } catch (const std::exception &e) {
    GST_ERROR("internal error: %s", e.what());
  }
}

gboolean
WebSocketTransport::on_liveness(gpointer user_data) {
  auto *self = static_cast<WebSocketTransport *>(user_data);
  gint64 silent_us = g_get_monotonic_time() - self->last_heard_us_;
  gint64 limit_us = G_GINT64_CONSTANT(1000000) * self->options_.keepalive_s
                    * kDeadIntervals;
  if (silent_us < limit_us)
    return G_SOURCE_CONTINUE;
  auto keep = self->shared_from_this();
  /* Our reference to the source goes in lost(); GLib holds one while
   * dispatching. */
  try {
    self->lost("no answer for "
               + std::to_string(silent_us / G_GINT64_CONSTANT(1000000)) + " s");
  } catch (const std::exception &e) {
    GST_ERROR("internal error: %s", e.what());
  }
  return G_SOURCE_REMOVE;
}

void
WebSocketTransport::release_ws() {
  if (ws_)
    abort_ws(ws_, this);
  ws_ = nullptr;
}

void
WebSocketTransport::lost(const std::string &why) {
  if (closed_)
    return;
  closed_ = true;
  clear_sources();
  release_ws();
  if (callbacks_.closed)
    callbacks_.closed(why);
}

void
WebSocketTransport::send(const std::string &text) {
  if (closed_ || !ws_
      || soup_websocket_connection_get_state(ws_) != SOUP_WEBSOCKET_STATE_OPEN)
    return;
  soup_websocket_connection_send_text(ws_, text.c_str());
}

void
WebSocketTransport::close(bool graceful, std::function<void()> done) {
  closed_ = true;
  clear_sources();
  if (cancellable_)
    g_cancellable_cancel(cancellable_);
  if (graceful && ws_
      && soup_websocket_connection_get_state(ws_)
             == SOUP_WEBSOCKET_STATE_OPEN) {
    /* Let the close handshake finish (libsoup bounds it), so the relay sees
     * a clean close after what we queued. */
    g_signal_handlers_disconnect_by_data(ws_, this);
    close_done_ = std::move(done);
    g_signal_connect(ws_, "closed", G_CALLBACK(on_closing_done), this);
    soup_websocket_connection_close(ws_, SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
    return;
  }
  release_ws();
  if (done)
    done();
}

void
WebSocketTransport::on_closing_done(
    SoupWebsocketConnection *, gpointer user_data) {
  auto *self = static_cast<WebSocketTransport *>(user_data);
  auto keep = self->shared_from_this();
  self->release_ws();
  auto done = std::move(self->close_done_);
  self->close_done_ = nullptr;
  if (done)
    done();
}

void
WebSocketTransport::abort() {
  closed_ = true;
  clear_sources();
  if (cancellable_)
    g_cancellable_cancel(cancellable_);
  release_ws();
  close_done_ = nullptr;
}

} // namespace gws
