/* gst-webrtc-session: the steps of a session restart, shared by
 * webrtcsink (one per consumer session), webrtcsrc (its session) and
 * webrtccall (its call).
 *
 * gws-restart.h has the policy (settings, rate limit, path checks, bus
 * messages) and gws-connection-set.h the connections (current, pending,
 * retiring) and what a failed one means. This file is the sequence the
 * three elements used to repeat, each in its own copy:
 *  - start(): may a restart begin now (no other under way, negotiated, the
 *    rate limit, a signaller that carries restarts); a new connection,
 *    `gws-restart-started`, and its offer;
 *  - failed(): an attempt failed: counted, `gws-restart-failed`, and after
 *    max-restart-failures the session ends;
 *  - connection_failed(): what webrtcbin's "failed" means for the session
 *    (a pending attempt failed, the old connection after a switch, or the
 *    live one: restart it or end the session);
 *  - follow_offer(): the peer restarts (an offer inside the session), and
 *    when both sides offered at once, whose offer wins;
 *  - switched(): the new connection carries media: it becomes the current
 *    one, `gws-session-restarted`;
 *  - check_timeout(): an attempt with no media after
 *    kRestartAttemptTimeoutUs failed.
 * What differs between the elements comes in as Hooks: how a connection is
 * made, offered and answered, and how the session ends.
 *
 * Logs in the `gws-restart` category, with the element as the object.
 *
 * Threading: the element's session thread only, like the ConnectionSet it
 * works on; the hooks are called there with no lock held. A RestartSteps
 * is made on the stack for one call (it holds references). */
#pragma once

#include "gws-connection-set.h"
#include "gws-restart.h"

#include <gst/gst.h>

#include <functional>
#include <memory>
#include <string>

namespace gws {

template <typename Conn> class RestartSteps {
 public:
  using Ptr = std::unique_ptr<Conn>;

  struct Hooks {
    /* "session" or "call", for log lines and the give-up reason. */
    const char *what = "session";
    /* The other side as failure reasons name it: "consumer", "producer",
     * "other side". */
    const char *peer_kind = "peer";
    /* The other side's id (the give-up reason names it). */
    std::string peer;
    /* A new connection (numbered the element's way), or nullptr with
     * @error. */
    std::function<Ptr(std::string *error)> make;
    /* Starts our restart's offer on the new (pending) connection. */
    std::function<void(Conn &)> offer;
    /* The signaller carries restarts (asked only when one may begin). */
    std::function<bool()> carries;
    /* Ends the session: the live connection failed with no restart
     * allowed, or restarts gave up. */
    std::function<void(const std::string &reason)> end;
    /* max-restart-failures. */
    guint max_failures = 3;
  };

  RestartSteps(GstElement *element, ConnectionSet<Conn> &conns,
      const std::string &session_id, Hooks hooks)
      : element_(element), conns_(conns), id_(session_id),
        hooks_(std::move(hooks)) {}

  /* Our restart (a lost path, or asked for): FALSE when none begins. */
  bool start(const char *reason) {
    gint64 now = g_get_monotonic_time();
    Conn *live = conns_.current();
    if (!live || conns_.pending() || !live->has_remote()
        || !conns_.restart.may_attempt(now)) {
      GST_CAT_DEBUG_OBJECT(restart_debug_category(), element_,
          "%s %s: no restart now (%s)", hooks_.what, id_.c_str(),
          conns_.pending() ? "one is under way"
                           : "rate limit or not negotiated");
      return false;
    }
    if (!hooks_.carries()) {
      GST_CAT_INFO_OBJECT(restart_debug_category(), element_,
          "%s %s: the signaller cannot carry a restart", hooks_.what,
          id_.c_str());
      return false;
    }
    std::string error;
    Ptr conn = hooks_.make(&error);
    guint attempt = conns_.restart.begin_attempt(now);
    GST_CAT_INFO_OBJECT(restart_debug_category(), element_,
        "%s %s: restart attempt %u (%s)", hooks_.what, id_.c_str(), attempt,
        reason);
    post_restart_message(element_, "gws-restart-started", id_, "attempt",
        G_TYPE_UINT, attempt, "reason", G_TYPE_STRING, reason, nullptr);
    if (!conn) {
      failed(error, now);
      return false;
    }
    conns_.begin_pending(std::move(conn), true);
    hooks_.offer(*conns_.pending());
    return true;
  }

  /* The pending attempt failed (@why). */
  void failed(const std::string &why, gint64 now) {
    guint attempt = conns_.restart.failures + 1;
    conns_.close_pending();
    bool give_up = conns_.restart.attempt_failed(now, hooks_.max_failures);
    GST_CAT_WARNING_OBJECT(restart_debug_category(), element_,
        "%s %s: restart attempt %u failed: %s", hooks_.what, id_.c_str(),
        attempt, why.c_str());
    post_restart_message(element_, "gws-restart-failed", id_, "attempt",
        G_TYPE_UINT, attempt, "reason", G_TYPE_STRING, why.c_str(), nullptr);
    if (give_up)
      end(std::string("gave up restarting the ") + hooks_.what + " with "
          + hooks_.peer + " after " + std::to_string(conns_.restart.failures)
          + " failed attempts (last: " + why + ")");
  }

  /* Connection @gen failed (@reason); @auto_restart: the property. */
  void connection_failed(
      guint gen, const std::string &reason, bool auto_restart) {
    using Failure = typename ConnectionSet<Conn>::Failure;
    switch (conns_.on_failed(gen)) {
      case Failure::Stale:
      case Failure::Retiring:
        return;
      case Failure::Pending:
        failed(conns_.failure_reason(reason, hooks_.peer_kind),
            g_get_monotonic_time());
        return;
      case Failure::DuringRestart:
        GST_CAT_INFO_OBJECT(restart_debug_category(), element_,
            "%s %s: connection %u failed during a restart (%s); the new one "
            "takes over",
            hooks_.what, id_.c_str(), gen, reason.c_str());
        return;
      case Failure::Current:
        break;
    }
    /* The live connection failed: a lost path, if we may restart. */
    if (conns_.may_restart_after_failure(auto_restart) && start("path-lost"))
      return;
    if (!ended_) /* start() may have given up already */
      end(reason);
  }

  /* The peer's offer inside the running session: its restart. When ours
   * crossed it, @ours_wins says whose goes on (the relay's producer's
   * does: webrtcsink's over webrtcsrc's, the callee's over the caller's).
   * @answer applies the offer to the new connection. FALSE when the offer
   * is ignored or no connection could be made for it. */
  bool follow_offer(bool ours_wins, const std::function<void(Conn &)> &answer) {
    bool replaces_ours = false;
    if (conns_.pending() && conns_.pending_ours()) {
      if (ours_wins) {
        GST_CAT_INFO_OBJECT(restart_debug_category(), element_,
            "%s %s: both sides restarted at once; ours wins, ignoring the "
            "%s's offer",
            hooks_.what, id_.c_str(), hooks_.peer_kind);
        return false;
      }
      replaces_ours = true;
    }
    if (conns_.pending())
      GST_CAT_INFO_OBJECT(restart_debug_category(), element_,
          "%s %s: the %s's restart replaces %s", hooks_.what, id_.c_str(),
          hooks_.peer_kind, replaces_ours ? "ours" : "its previous attempt");
    conns_.close_pending();
    std::string error;
    Ptr conn = hooks_.make(&error);
    if (!conn) {
      GST_CAT_WARNING_OBJECT(restart_debug_category(), element_,
          "%s %s: cannot follow the %s's restart: %s", hooks_.what, id_.c_str(),
          hooks_.peer_kind, error.c_str());
      return false;
    }
    /* Replacing our own attempt continues it: no new attempt begins. */
    if (!replaces_ours) {
      guint attempt = conns_.restart.begin_attempt(g_get_monotonic_time());
      post_restart_message(element_, "gws-restart-started", id_, "attempt",
          G_TYPE_UINT, attempt, "reason", G_TYPE_STRING, "remote", nullptr);
    }
    GST_CAT_INFO_OBJECT(restart_debug_category(), element_,
        "%s %s: the %s restarts it", hooks_.what, id_.c_str(),
        hooks_.peer_kind);
    conns_.begin_pending(std::move(conn), false);
    answer(*conns_.pending());
    return true;
  }

  /* The pending connection carries media: it is the current one now, the
   * old one retires @retire_after_us later. */
  void switched(gint64 now, gint64 retire_after_us) {
    conns_.promote(now + retire_after_us);
    guint64 ms = conns_.restart.switched(now);
    GST_CAT_INFO_OBJECT(restart_debug_category(), element_,
        "%s %s: restarted in %" G_GUINT64_FORMAT " ms (connection %u)",
        hooks_.what, id_.c_str(), ms, conns_.current()->gen());
    post_restart_message(element_, "gws-session-restarted", id_, "restarts",
        G_TYPE_UINT, conns_.restart.restarts, "switch-ms", G_TYPE_UINT64, ms,
        nullptr);
  }

  /* A pending attempt that has carried no media for too long failed. */
  void check_timeout(gint64 now) {
    if (!conns_.pending()
        || now - conns_.restart.started_us <= kRestartAttemptTimeoutUs)
      return;
    std::string whose
        = conns_.pending_ours()
              ? ""
              : std::string("the ") + hooks_.peer_kind + "'s restart: ";
    failed(whose + "no media on the new connection within 10 s", now);
  }

 private:
  /* The session may be gone afterwards (with the set): touch nothing. */
  void end(const std::string &reason) {
    ended_ = true;
    hooks_.end(reason);
  }

  GstElement *element_;
  ConnectionSet<Conn> &conns_;
  std::string id_;
  Hooks hooks_;
  bool ended_ = false;
};

} // namespace gws
