/* gst-webrtc-session: the relay's routing core.
 *
 * Peers, roles and sessions, with no sockets in sight: text frames come in
 * per connection, text frames (and close requests) go out through an Output.
 * The libsoup server (relay_server.cpp) is a thin adapter around it, and the
 * unit tests drive it directly. Not thread-safe: call it from one thread (the
 * server's main context). Every rule it enforces is listed in
 * docs/protocol.md. */
#pragma once

#include "metrics.h"
#include "protocol/ice_fast_path.h"
#include "protocol/message.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace gws::relay {

using ConnectionId = uint64_t;
using Clock = std::chrono::steady_clock;

/* What the router asks of its transport. Calls may come from inside
 * connect()/receive()/disconnect(); the transport must not re-enter the
 * router from them (queue the close, report disconnect() later). */
class Output {
 public:
  virtual ~Output() = default;
  virtual void send(ConnectionId conn, const std::string &text) = 0;
  /* Close the connection; the transport later calls disconnect(). */
  virtual void close(ConnectionId conn, const std::string &reason) = 0;
  /* One line for the operator's log (connect, register, sessions, refusals). */
  virtual void log(const std::string &line) = 0;
};

struct RouterConfig {
  size_t max_message_size = 64 * 1024; /* bytes; larger frames are refused */
  double flood_rate = 200.0;           /* messages per second, sustained */
  double flood_burst = 400.0;          /* messages in a burst */
  /* Each session a peer is in adds to both (a producer serving 160
   * consumers sends an offer and candidates for each, at once), and
   * brings its burst as fresh tokens when it starts. Sessions need both
   * peers, so a peer alone cannot raise its own limit. */
  double flood_session_rate = 5.0;
  double flood_session_burst = 32.0;
  size_t max_peer_id_length = 128;
};

/* Registered peers by role, for /metrics and /status. A peer with several
 * roles (consumer + listener) counts under each; `none` has no role yet. */
struct PeerCounts {
  size_t producer = 0, consumer = 0, listener = 0, none = 0;
};

class Router {
 public:
  Router(Output &out, RouterConfig config = {});
  ~Router();

  /* A new connection; `claimed_id` is the ?peer-id= of its URL or empty.
   * Sends welcome, or an error and a close when the claim is refused.
   * Returns false when refused. */
  bool connect(ConnectionId conn, const std::string &claimed_id);
  /* One text frame from a connection. */
  void receive(ConnectionId conn, std::string_view text);
  /* The connection is gone: ends its sessions, tells listeners. */
  void disconnect(ConnectionId conn);

  /* For tests, logs and the benchmark. */
  size_t peer_count() const { return peers_.size(); }
  size_t session_count() const { return sessions_.size(); }
  std::string peer_id(ConnectionId conn) const;
  PeerCounts peer_counts() const;

  /* The relay's counters (metrics.h): the router counts protocol events,
   * the transport adds its own through this reference. */
  Metrics &metrics() { return metrics_; }
  const Metrics &metrics() const { return metrics_; }

  /* Tests replace the clock to exercise flood control deterministically. */
  void set_clock(std::function<Clock::time_point()> now) {
    now_ = std::move(now);
  }

 private:
  struct Peer;
  struct Session;

  void handle(Peer &peer, protocol::Message &msg);
  void on_set_peer_status(Peer &peer, protocol::Message &msg);
  void on_start_session(Peer &peer, protocol::Message &msg);
  void on_peer(Peer &peer, protocol::Message &msg);
  void on_peer_ice(Peer &peer, const protocol::PeerIce &ice);
  /* The other side of a session `peer` is in, or null (after answering
   * `peer` with an error when it is not in that session). */
  Peer *session_partner(Peer &peer, const std::string &session_id);
  void on_end_session(Peer &peer, const protocol::Message &msg);
  void on_list(Peer &peer, bool consumers);

  void end_session(const std::string &session_id, const Peer *by,
      const std::optional<std::string> &reason);
  void announce(const Peer &peer);
  bool claim_id(Peer &peer, const std::string &id, std::string &why);
  bool valid_peer_id(const std::string &id, std::string &why) const;
  /* Messages per second @peer may send: RouterConfig's rate and its
   * sessions' share. */
  double flood_rate(const Peer &peer) const;
  bool take_token(Peer &peer);

  void send(const Peer &peer, const protocol::Message &msg);
  void send_error(
      const Peer &peer, ErrorCause cause, const std::string &details);
  Peer *find_by_id(const std::string &id);
  Peer *find_by_conn(ConnectionId conn);

  Output &out_;
  RouterConfig config_;
  std::function<Clock::time_point()> now_;
  std::unordered_map<ConnectionId, std::unique_ptr<Peer>> peers_;
  std::unordered_map<std::string, Peer *> by_id_;
  std::unordered_map<std::string, std::unique_ptr<Session>> sessions_;
  std::set<ConnectionId> listeners_;
  Metrics metrics_;
};

} // namespace gws::relay
