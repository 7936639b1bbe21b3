/* gst-webrtc-session: how the relay signaller's protocol client reaches the
 * relay.
 *
 * The relay protocol (docs/protocol.md) is text messages both ways; the
 * protocol client (gws-ws-signaller.cpp) decides what to send and what a
 * message means, a RelayTransport only carries the text: WebSocket
 * (websocket-transport.h, ws:// and wss://) or HTTP long-poll
 * (longpoll-transport.h, poll+http:// and poll+https://, for networks whose
 * proxies refuse WebSocket upgrades).
 *
 * Threading: a transport lives on the signaller's thread; every method is
 * called there and every callback comes from there (the GMainContext that
 * was thread-default when open() was called). */
#pragma once

#include <glib.h>

#include <functional>
#include <string>
#include <string_view>

namespace gws {

class RelayTransport {
 public:
  /* Why open() did not succeed. */
  struct Failure {
    guint http_status = 0; /* the relay's HTTP answer, 0 when none */
    bool tls = false;      /* its certificate was not trusted */
    bool timed_out = false;
    std::string message;
  };
  struct Callbacks {
    std::function<void()> opened; /* send() works from now on */
    std::function<void(std::string_view text)> message; /* in order */
    std::function<void(const std::string &why)> closed; /* lost, after open */
    std::function<void(const Failure &failure)> failed; /* never opened */
  };

  virtual ~RelayTransport() = default;

  /* Starts connecting; exactly one of opened/failed follows (unless closed
   * first). */
  virtual void open() = 0;
  /* Sends one message, in order with the ones before; dropped when not
   * open. */
  virtual void send(const std::string &text) = 0;
  /* No callback comes after this. Graceful: what was sent still goes out
   * and the relay is told we leave; `done` runs once that is over (at once
   * when not graceful). The owner keeps the transport until `done`. */
  virtual void close(bool graceful, std::function<void()> done) = 0;
  /* Ends a graceful close under way at once (the owner is going away and
   * no main loop will run for it): sockets closed, `done` never called. */
  virtual void abort() = 0;
};

} // namespace gws
