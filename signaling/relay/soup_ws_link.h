/* gst-webrtc-session: a WebSocket connection of the relay framed by libsoup
 * (SoupWebsocketConnection), for wss:// where the bytes pass through
 * GTlsConnection: plain ws:// connections use PlainWsLink instead.
 *
 * The SoupWebsocketConnection is made inside its ContextPool group (its
 * sources live in the group's GMainContext); libsoup pings on its own
 * keepalive timer and enforces the frame-size cap. Threads: the relay's
 * thread, like every link. */
#pragma once

#include "context_pool.h"
#include "ws_link.h"

#include <gio/gio.h>
#include <libsoup/soup.h>

namespace gws::relay {

class SoupWsLink final : public WsLink {
 public:
  /* Takes `stream` (the upgraded connection, stolen from libsoup) into a
   * SoupWebsocketConnection in `group`. `socket` (may be null): asked by
   * can_write(). */
  SoupWsLink(ContextPool &pool, ContextPool::Group *group, GIOStream *stream,
      GSocket *socket, const char *origin, guint64 max_payload,
      unsigned ping_interval, Events &events);
  ~SoupWsLink() override;

  SoupWsLink(const SoupWsLink &) = delete;
  SoupWsLink &operator=(const SoupWsLink &) = delete;

  bool is_open() const override;
  void send_text(std::string_view text) override;
  void close(uint16_t code, const std::string &reason) override;
  bool can_write() override;

 private:
  static void on_message(
      SoupWebsocketConnection *, gint type, GBytes *data, gpointer self);
  static void on_pong(SoupWebsocketConnection *, GBytes *, gpointer self);
  static void on_error(SoupWebsocketConnection *, GError *, gpointer self);
  static void on_closed(SoupWebsocketConnection *, gpointer self);

  ContextPool &pool_;
  ContextPool::Group *group_;
  Events &events_;
  SoupWebsocketConnection *ws_ = nullptr; /* owned reference */
  GSocket *socket_ = nullptr;             /* owned reference; may be null */
};

} // namespace gws::relay
