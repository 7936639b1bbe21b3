/* gst-webrtc-session: a libsoup-framed WebSocket connection of the relay
 * (see soup_ws_link.h). */
#include "soup_ws_link.h"

#include "ws_frame.h"

#include <string>

namespace gws::relay {

SoupWsLink::SoupWsLink(ContextPool &pool, ContextPool::Group *group,
    GIOStream *stream, GSocket *socket, const char *origin, guint64 max_payload,
    unsigned ping_interval, Events &events)
    : pool_(pool), group_(group), events_(events),
      socket_(socket ? G_SOCKET(g_object_ref(socket)) : nullptr) {
  {
    ContextPool::Scope scope(group);
    /* libsoup copies the URI into every connection and nothing reads it
     * back: a short one rather than the request's (with its query). */
    static GUri *const kUri
        = g_uri_parse("ws://relay/", G_URI_FLAGS_NONE, nullptr);
    ws_ = soup_websocket_connection_new(stream, kUri,
        SOUP_WEBSOCKET_CONNECTION_SERVER, origin, nullptr, nullptr);
    soup_websocket_connection_set_max_incoming_payload_size(ws_, max_payload);
    soup_websocket_connection_set_keepalive_interval(ws_, ping_interval);
  }
  pool_.touch(group_);
  g_signal_connect(ws_, "message", G_CALLBACK(on_message), this);
  g_signal_connect(ws_, "pong", G_CALLBACK(on_pong), this);
  g_signal_connect(ws_, "error", G_CALLBACK(on_error), this);
  g_signal_connect(ws_, "closed", G_CALLBACK(on_closed), this);
}

SoupWsLink::~SoupWsLink() {
  g_signal_handlers_disconnect_by_data(ws_, this);
  g_object_unref(ws_);
  g_clear_object(&socket_);
  pool_.touch(group_); /* its sources are gone */
}

bool
SoupWsLink::is_open() const {
  return soup_websocket_connection_get_state(ws_) == SOUP_WEBSOCKET_STATE_OPEN;
}

void
SoupWsLink::send_text(std::string_view text) {
  if (!is_open())
    return;
  /* libsoup takes a NUL-terminated string. */
  std::string copy(text);
  soup_websocket_connection_send_text(ws_, copy.c_str());
}

void
SoupWsLink::close(uint16_t code, const std::string &reason) {
  if (!is_open())
    return;
  /* The reason must fit the frame (123 bytes), cut at a character. */
  std::string cut = ws::close_payload(code, reason).substr(2);
  soup_websocket_connection_close(ws_, code, cut.c_str());
  pool_.touch(group_); /* its close timer */
}

bool
SoupWsLink::can_write() {
  return !socket_ || (g_socket_condition_check(socket_, G_IO_OUT) & G_IO_OUT);
}

void
SoupWsLink::on_message(
    SoupWebsocketConnection *, gint type, GBytes *data, gpointer self) {
  gsize size = 0;
  auto *bytes = static_cast<const char *>(g_bytes_get_data(data, &size));
  static_cast<SoupWsLink *>(self)->events_.on_message(
      type == SOUP_WEBSOCKET_DATA_TEXT,
      std::string_view(bytes ? bytes : "", size));
}

void
SoupWsLink::on_pong(SoupWebsocketConnection *, GBytes *, gpointer self) {
  static_cast<SoupWsLink *>(self)->events_.on_alive();
}

void
SoupWsLink::on_error(SoupWebsocketConnection *, GError *error, gpointer self) {
  static_cast<SoupWsLink *>(self)->events_.on_error(error->message);
}

void
SoupWsLink::on_closed(SoupWebsocketConnection *ws, gpointer self) {
  auto *link = static_cast<SoupWsLink *>(self);
  g_signal_handlers_disconnect_by_data(ws, self);
  link->events_.on_closed(soup_websocket_connection_get_close_code(ws));
}

} // namespace gws::relay
