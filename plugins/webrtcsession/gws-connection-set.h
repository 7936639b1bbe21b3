/* gst-webrtc-session: the connections of one session, shared by both
 * elements.
 *
 * A session has a current connection (a webrtcbin and its negotiation);
 * during a restart (make-before-break, see gws-restart.h) also a pending
 * one, the next connection, and after the switch a retiring one, the old
 * connection kept a moment so the peer can switch too. Each connection has
 * a number (its "gen"), so a late callback of a closed one finds nothing.
 * The set owns them, numbers them, tracks the restart, and closes them the
 * one way its element closes a connection (the `Close` it was made with:
 * webrtcsink unlinks the shared encoders, webrtcsrc removes the chains
 * behind its output pads).
 *
 * webrtcsink keeps one set per consumer session, numbered from 0.
 * webrtcsrc keeps one set for its whole life: its sessions follow one
 * another (publishers on a WHIP endpoint), and the numbers keep counting,
 * so the outputs can tell every connection of every session apart.
 *
 * Threading: the element's session thread only; no locks. */
#pragma once

#include "gws-restart.h"

#include <functional>
#include <memory>
#include <string>
#include <utility>

namespace gws {

template <typename Conn> class ConnectionSet {
 public:
  using Ptr = std::unique_ptr<Conn>;
  using Close = std::function<void(Ptr)>;

  explicit ConnectionSet(Close close) : close_(std::move(close)) {}
  ~ConnectionSet() { close_all(); }
  ConnectionSet(ConnectionSet &&) = default;
  ConnectionSet &operator=(ConnectionSet &&) = default;
  ConnectionSet(const ConnectionSet &) = delete;
  ConnectionSet &operator=(const ConnectionSet &) = delete;

  Conn *current() const { return current_.get(); }
  Conn *pending() const { return pending_.get(); }
  Conn *retiring() const { return retiring_.get(); }
  /* We started the pending connection (else the peer did). */
  bool pending_ours() const { return pending_ours_; }
  bool empty() const { return !current_ && !pending_ && !retiring_; }

  /* The number for the next connection. */
  guint next_gen() { return next_gen_++; }

  /* Connection @gen, if it is still one of ours. */
  Conn *find(guint gen) const {
    for (Conn *c : {current_.get(), pending_.get(), retiring_.get()}) {
      if (c && c->gen() == gen)
        return c;
    }
    return nullptr;
  }
  bool is_current(guint gen) const {
    return current_ && current_->gen() == gen;
  }
  bool is_pending(guint gen) const {
    return pending_ && pending_->gen() == gen;
  }
  bool is_retiring(guint gen) const {
    return retiring_ && retiring_->gen() == gen;
  }

  /* What the failure of connection @gen means for the session: the one
   * decision both elements share (each then acts its own way).
   *  - Pending: a restart's new connection failed; the attempt counts
   *    towards giving up (failure_reason() names who started it);
   *  - Retiring: the old connection after a switch failed; closed here;
   *  - DuringRestart: the current connection failed while a restart is
   *    under way (a peer that restarts closes its old connection once the
   *    new one is up, so writes to it fail): the new connection's own
   *    outcome decides the session;
   *  - Current: the live connection failed: restart when
   *    may_restart_after_failure(), else end the session;
   *  - Stale: not one of ours any more. */
  enum class Failure { Stale, Pending, Retiring, DuringRestart, Current };
  Failure on_failed(guint gen) {
    if (is_pending(gen))
      return Failure::Pending;
    if (is_retiring(gen)) {
      close_retiring();
      return Failure::Retiring;
    }
    if (!is_current(gen))
      return Failure::Stale;
    return pending_ ? Failure::DuringRestart : Failure::Current;
  }
  /* The reason a failed pending connection is reported with: @reason, or
   * "the @peer_kind's restart: @reason" when the peer started it. */
  std::string failure_reason(
      const std::string &reason, const char *peer_kind) const {
    return pending_ours_
               ? reason
               : std::string("the ") + peer_kind + "'s restart: " + reason;
  }
  /* After a Current failure: a lost path is restarted when restarts are on
   * (@auto_restart), the connection had been negotiated, and no restart
   * attempt has failed since the last success. */
  bool may_restart_after_failure(bool auto_restart) const {
    return auto_restart && current_ && current_->has_remote()
           && restart.failures == 0 && !pending_;
  }

  /* A new session's first connection: whatever was there is closed, and
   * the restart state starts afresh. */
  void start(Ptr first) {
    close_all();
    restart = RestartTracker();
    current_ = std::move(first);
  }
  /* A restart's new connection (replacing, and closing, an earlier one). */
  void begin_pending(Ptr conn, bool ours) {
    close_pending();
    pending_ = std::move(conn);
    pending_ours_ = ours;
  }
  /* The pending connection carries media: it becomes the current one and
   * the current one retires until @retire_at_us (an older retiring one is
   * closed now). */
  void promote(gint64 retire_at_us) {
    close_retiring();
    retiring_ = std::move(current_);
    current_ = std::move(pending_);
    retire_at_us_ = retire_at_us;
  }
  /* Closes the retiring connection when its time has come. */
  void retire_due(gint64 now_us) {
    if (retiring_ && now_us >= retire_at_us_)
      close_retiring();
  }

  /* Hands the current connection over without closing it the set's way
   * (webrtcsrc keeps a finished client session's chains, so its EOS can
   * drain through them). */
  Ptr take_current() { return std::move(current_); }

  void close_pending() { close(pending_); }
  void close_retiring() { close(retiring_); }
  void close_current() { close(current_); }
  /* Pending and retiring first, the current one last. */
  void close_all() {
    close_pending();
    close_retiring();
    close_current();
  }

  RestartTracker restart;

 private:
  void close(Ptr &slot) {
    if (!slot)
      return;
    Ptr conn = std::move(slot); /* the slot is empty while it closes */
    if (close_)
      close_(std::move(conn));
  }

  Close close_;
  Ptr current_;
  Ptr pending_;
  bool pending_ours_ = false;
  Ptr retiring_;
  gint64 retire_at_us_ = 0;
  guint next_gen_ = 0;
};

} // namespace gws
