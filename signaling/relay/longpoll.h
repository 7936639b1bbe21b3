/* gst-webrtc-session: the relay protocol over HTTP long-poll.
 *
 * For networks whose proxies refuse WebSocket upgrades. A long-poll peer is
 * one more transport for the same Router (router.h): the messages, the
 * session rules, the flood control and the size limit are the router's; this
 * class only carries text in and out over plain HTTP requests:
 *
 *   POST   /poll            open: -> {"id": SECRET, "hold": S, ...}
 *   POST   /poll/SECRET     one message (a JSON object) or a batch (array)
 *   GET    /poll/SECRET?after=SEQ   held until a message numbered above SEQ
 *                           exists or the hold time ends
 *   DELETE /poll/SECRET     leave
 *
 * Every message the router sends to a peer gets the next sequence number
 * and stays queued until a GET with after >= its number acknowledges it, so
 * a GET lost on the way (a proxy dropping it, a client timeout) loses
 * nothing: the next GET names the last number its client saw and gets the
 * rest again. The wire format is in docs/protocol.md.
 *
 * Single-threaded, like RelayServer: everything runs on the relay's main
 * context (the SoupServer's). */
#pragma once

#include "router.h"

#include <libsoup/soup.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

namespace gws::relay {

struct LongPollConfig {
  unsigned hold = 25;          /* seconds a GET waits for messages */
  unsigned ping_interval = 30; /* a peer that polled for none of 2.5 of these
                                  is gone (0: never reaped) */
  size_t max_message_size = 64 * 1024;
};

class LongPoll {
 public:
  /* What the relay lends us: its router, its connection numbers (shared
   * with WebSocket peers), its token check and its log. */
  struct Host {
    Router *router = nullptr;
    std::function<ConnectionId()> next_id;
    std::function<bool(SoupServerMessage *, GHashTable *)> authorized;
    std::function<void(const std::string &)> log;
    /* After shutdown(): the last answer is written (or given up on). */
    std::function<void()> drained;
    /* The context the server runs in (its own thread's with run-relay,
     * else the default one): every timer and idle callback of ours is
     * attached there, so they run on the relay's thread only. */
    std::function<GMainContext *()> context;
  };

  LongPoll(Host host, LongPollConfig config);
  ~LongPoll();

  LongPoll(const LongPoll &) = delete;
  LongPoll &operator=(const LongPoll &) = delete;

  /* Whether a request path is ours ("/poll" and below). */
  static bool handles(const char *path);

  /* From the server's early handler (headers read, body not yet): refuses
   * bodies over the limit before they are read. */
  void early(SoupServerMessage *msg, const char *path);
  /* A whole request to one of our paths. */
  void handle(SoupServerMessage *msg, const char *path, GHashTable *query);

  /* Router output for a connection of ours (owns() is true). */
  bool owns(ConnectionId conn) const;
  void send(ConnectionId conn, const std::string &text);
  void close(ConnectionId conn, const std::string &reason);

  /* Closes peers that stopped polling; called once per ping interval. */
  void reap();
  /* Relay shutdown: answers every held GET and lets every peer go. While
   * those answers are being written draining() is true; Host::drained is
   * called (from the main loop) once they are, or after half a second. */
  void shutdown();
  bool draining() const { return draining_ > 0; }

  size_t peer_count() const { return peers_.size(); }
  /* Connections not closed (peer_count() also holds closed ones whose last
   * messages can still be fetched). */
  size_t open_count() const { return by_conn_.size(); }

 private:
  struct Peer;

  /* Sources on the server's context (Host::context). */
  guint add_timeout(guint ms, GSourceFunc fn, gpointer data);
  guint add_idle(GSourceFunc fn, gpointer data);
  void remove_source(guint id);

  void open(SoupServerMessage *msg, GHashTable *query);
  void post(Peer &peer, SoupServerMessage *msg);
  void get(Peer &peer, SoupServerMessage *msg, GHashTable *query);
  void leave(Peer &peer, SoupServerMessage *msg);
  void answer(Peer &peer);
  void release_held(Peer &peer);
  void finish(Peer &peer, const std::string &reason);
  void forget(const std::string &secret);
  Peer *find(const char *path);
  static gboolean on_hold_timeout(gpointer user_data);
  static gboolean on_flush(gpointer user_data);
  static void on_held_finished(SoupServerMessage *msg, gpointer user_data);
  static void on_drained_one(SoupServerMessage *msg, gpointer user_data);
  void drained_one();

  Host host_;
  LongPollConfig config_;
  /* By secret (the path component); by_conn_ maps the router's numbers. */
  std::unordered_map<std::string, std::unique_ptr<Peer>> peers_;
  std::unordered_map<ConnectionId, Peer *> by_conn_;
  /* Router closes and disconnects, done outside the router's calls. */
  std::deque<std::pair<ConnectionId, std::string>> pending_closes_;
  guint flush_source_ = 0;
  bool shutting_down_ = false;
  int draining_ = 0; /* answers written at shutdown, not finished */
  guint drain_timeout_ = 0;
};

} // namespace gws::relay
