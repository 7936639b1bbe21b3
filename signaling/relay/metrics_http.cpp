/* gst-webrtc-session: the relay's GET /metrics (Prometheus text) and
 * GET /status (JSON) endpoints, on the same port as the WebSocket. When the
 * relay has an access token they need it too (Authorization: Bearer, or
 * ?token=), like a WebSocket connection. */
#include "metrics_text.h"
#include "relay_server.h"

#include <cstring>

namespace gws::relay {

bool
RelayServer::serve_metrics(
    SoupServerMessage *msg, const char *path, GHashTable *query) {
  bool metrics = g_strcmp0(path, "/metrics") == 0;
  if (!metrics && g_strcmp0(path, "/status") != 0)
    return false;
  SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
  const char *method = soup_server_message_get_method(msg);
  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD) {
    soup_message_headers_replace(h, "Allow", "GET, HEAD");
    soup_server_message_set_status(
        msg, SOUP_STATUS_METHOD_NOT_ALLOWED, nullptr);
    return true;
  }
  if (!authorized(msg, query)) {
    soup_message_headers_replace(
        h, "WWW-Authenticate", "Bearer realm=\"gst-webrtc-relay\"");
    const char *text = "missing or wrong access token: send \"Authorization: "
                       "Bearer TOKEN\" or add ?token=TOKEN to the URL\n";
    soup_server_message_set_status(msg, SOUP_STATUS_UNAUTHORIZED, nullptr);
    soup_server_message_set_response(
        msg, "text/plain; charset=utf-8", SOUP_MEMORY_COPY, text, strlen(text));
    return true;
  }
  MetricsView view{router_.metrics()};
  view.peers = router_.peer_counts();
  view.connections = conns_.size();
  view.longpoll_connections = longpoll_->open_count();
  view.sessions = router_.session_count();
  view.start_time_unix = start_time_unix_;
  view.now_unix = g_get_real_time() / G_USEC_PER_SEC;
  std::string body
      = metrics ? render_prometheus(view) : render_status_json(view);
  soup_message_headers_replace(h, "Cache-Control", "no-store");
  soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
  soup_server_message_set_response(msg,
      metrics ? kPrometheusContentType : "application/json", SOUP_MEMORY_COPY,
      body.data(), body.size());
  return true;
}

} // namespace gws::relay
