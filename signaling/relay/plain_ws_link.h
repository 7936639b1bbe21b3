/* gst-webrtc-session: a plain (ws://) WebSocket connection framed by the
 * relay itself on its bare descriptor.
 *
 * libsoup answers the upgrade; RelayServer then takes the descriptor and
 * hands it here, with whatever bytes libsoup had already read past the
 * request. No GObject and no GSource remain per connection: the descriptor
 * is watched in the ContextPool's epoll set (ContextPool::watch()), and a
 * readiness is one recv() into the server's shared scratch buffer, parsed in
 * place (ws_frame.h). Only the start of a frame that has not fully arrived
 * is kept, in a buffer of the connection's own that is freed once empty; an
 * idle connection holds no buffer at all. Writes go straight to the socket
 * (one sendmsg() per frame, header and payload gathered); what the kernel
 * cannot take waits in the connection's queue, written when the socket is
 * writable again. can_write() says whether that queue is empty, which is
 * what RelayServer's "not reading its messages" rule looks at.
 *
 * Close handshake as RFC 6455 asks of a server: a close from the peer is
 * answered with the same code and the descriptor is closed once the answer
 * is written; a close we start waits for the peer's close frame for at most
 * kCloseTimeoutUs, then the descriptor is closed. A
 * protocol violation (ws_frame.h) is answered with its close code and
 * closed the same way.
 *
 * Keepalive pings (every `ping_interval` seconds, the first one at a random
 * point of the first interval so that connections opened in a burst do not
 * ping in a burst) and close deadlines are kept in one ordered set per
 * server (Shared::timers): RelayServer's tick runs only what is due, never
 * a walk over every connection.
 *
 * Threads: everything runs on the relay's thread, from the pool's dispatch
 * (fd_ready), from RelayServer's calls and its tick (run_timers). */
#pragma once

#include "context_pool.h"
#include "ws_frame.h"
#include "ws_link.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace gws::relay {

class PlainWsLink final : public WsLink,
                          public ContextPool::FdHandler,
                          private ws::Sink {
 public:
  /* What every plain link of one server shares. */
  struct Shared {
    ContextPool *pool = nullptr;
    size_t max_message = 0;     /* larger messages close with 1009 */
    unsigned ping_interval = 0; /* seconds; 0: no pings */
    std::vector<char> scratch;  /* recv() buffer, one per server */
    /* While a link's input is parsed, frames to every plain link are only
     * queued, and written once the whole read is handled: the messages of
     * one read that go to the same peer leave in one sendmsg(). */
    bool corked = false;
    std::vector<PlainWsLink *> to_flush;
    /* (when, link): each link's next ping or close deadline. */
    std::set<std::pair<gint64, PlainWsLink *>> timers;
  };

  /* Pings and closes what is due by `now_us`. */
  static void run_timers(Shared &shared, gint64 now_us);

  /* Takes `fd` (non-blocking, closed by the link). `early`: bytes already
   * read from the connection after the HTTP request. Nothing is read or
   * reported before start(). */
  PlainWsLink(Shared &shared, int fd, std::string early, Events &events);
  ~PlainWsLink() override;

  PlainWsLink(const PlainWsLink &) = delete;
  PlainWsLink &operator=(const PlainWsLink &) = delete;

  /* Starts watching the descriptor and parses the early bytes. */
  void start();

  bool is_open() const override { return state_ == State::Open; }
  void send_text(std::string_view text) override;
  void close(uint16_t code, const std::string &reason) override;
  bool can_write() override { return out_.size() == out_sent_; }

 private:
  enum class State : guint8 {
    Open,
    Closing, /* our close frame is sent or queued */
    Closed,  /* descriptor closed, on_closed() reported */
  };

  void fd_ready(guint32 events) override;
  /* ws::Sink */
  bool on_message(bool text, std::string_view data) override;
  bool on_ping(std::string_view payload) override;
  bool on_pong(std::string_view payload) override;
  void on_close(uint16_t code, std::string_view reason) override;

  void read_some();
  void on_timer(gint64 now_us);
  /* Puts the link's timer at `at` (0: none). */
  void schedule(gint64 at);
  /* Writes what every link queued while corked. */
  static void uncork(Shared &shared);
  void parse(char *data, size_t size, bool own_buffer);
  void write_frame(ws::Opcode opcode, std::string_view payload);
  void flush();
  void want_write(bool on);
  /* Sends our close frame and enters Closing. */
  void send_close(uint16_t code, std::string_view reason);
  /* Closes the descriptor (once what is queued is written, when `drain`)
   * and reports on_closed(). */
  void finish(bool drain);
  void shut();

  Shared &shared_;
  Events &events_;
  int fd_;
  ws::Parser parser_;
  std::string in_;  /* the start of an incomplete frame, else empty */
  std::string out_; /* bytes the kernel did not take yet */
  size_t out_sent_ = 0;
  gint64 timer_at_ = 0; /* its key in shared_.timers, 0: none */
  gint64 close_deadline_ = 0;
  uint16_t peer_code_ = 0;
  State state_ = State::Open;
  bool writing_ = false;       /* EPOLLOUT watched */
  bool close_drained_ = false; /* close once out_ is written */
  bool to_flush_ = false;      /* in shared_.to_flush */
};

} // namespace gws::relay
