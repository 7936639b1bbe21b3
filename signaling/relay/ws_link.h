/* gst-webrtc-session: one upgraded WebSocket connection of the relay, as the
 * server sees it, whoever frames it.
 *
 * Two implementations: PlainWsLink (plain_ws_link.h: our own RFC 6455
 * framing on the bare descriptor, for ws://) and SoupWsLink (soup_ws_link.h:
 * libsoup's SoupWebsocketConnection, kept for wss:// where the bytes go
 * through GTlsConnection). RelayServer holds one per connection and never
 * asks which; the Router never sees either.
 *
 * Threads: a link is made, used and destroyed on the relay's thread (the
 * thread-default context of RelayServer::start()); its events come on that
 * thread too. */
#pragma once

#include <glib.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace gws::relay {

class WsLink {
 public:
  /* What a link reports. on_closed() is the last call; it may come from
   * inside send() or close() of any link (a write that failed), so the
   * receiver must not destroy the link from inside it. */
  class Events {
   public:
    virtual ~Events() = default;
    virtual void on_message(bool text, std::string_view data) = 0;
    /* A pong, or any other sign of life that is not a message. */
    virtual void on_alive() = 0;
    virtual void on_error(const std::string &what) = 0;
    /* `code`: the peer's close code, 0 when it sent none. */
    virtual void on_closed(uint16_t code) = 0;
  };

  virtual ~WsLink() = default;

  /* Open: not closing, not closed. */
  virtual bool is_open() const = 0;
  virtual void send_text(std::string_view text) = 0;
  /* Starts the close handshake; on_closed() follows (at the latest after a
   * grace period if the peer never answers). */
  virtual void close(uint16_t code, const std::string &reason) = 0;
  /* Whether the kernel (and the link's own queue) can take more now: false
   * means the peer is not reading what it is sent. */
  virtual bool can_write() = 0;
};

} // namespace gws::relay
