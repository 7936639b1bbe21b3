/* gst-webrtc-session: the start-order policy (`wait-timeout`).
 *
 * A user starts things in any order: the viewer before its producer, the
 * publisher before the relay or the WHIP endpoint. One policy for every
 * signaller: whatever the element needs and is missing at start is waited
 * for, `wait-timeout` seconds (default 60; 0 fails at once; -1 waits for
 * ever), with one warning saying what is awaited and the property, then
 * an error.
 *  - "error::unavailable" (producer not found, endpoint refused or
 *    unreachable, 404/503): the signaller stopped; it is started again
 *    after a backoff (0.5 s doubling to 5 s) until the time is up.
 *  - "error::retrying" before the first connection (relay unreachable):
 *    the signaller goes on trying by itself; if it has not connected when
 *    the time is up, that is the error.
 * The wait is over with the first remote description (the session exists);
 * a later "unavailable" starts a new wait.
 *
 * Threading: callbacks arrive on the signaller's thread and are posted to
 * the element's session loop, where all state lives and where the
 * signaller is restarted. cancel() (on the loop, via run_sync) makes every
 * later callback and timer a no-op; call it before stopping the
 * signaller. */
#pragma once

#include "gws-session-loop.h"
#include "gws-signaller-link.h"

#include <gst/gst.h>

#include <memory>
#include <string>

namespace gws {

class StartWait : public std::enable_shared_from_this<StartWait> {
 public:
  /* Replaces @cb's error and connection_changed (as
   * report_signaller_state() would set them, plus the policy) and wraps
   * its session_description. */
  static std::shared_ptr<StartWait> attach(SignallerCallbacks &cb,
      GstElement *element, SessionLoop &loop, GwsSignaller *signaller,
      gint timeout_s);
  ~StartWait();

  /* On the loop. */
  void cancel();

  StartWait(GstElement *element, SessionLoop &loop, GwsSignaller *signaller,
      gint timeout_s);

 private:
  void on_error(const std::string &message, SignallerErrorKind kind);
  void on_connected(bool connected);
  void on_description();
  void restart();
  void give_up(const std::string &message);
  bool time_left(gint64 now, gint64 *left_us) const;
  void arm(guint *id, guint ms, void (StartWait::*fn)());
  void disarm(guint *id);
  void deadline();

  /* Fixed. */
  GstElement *element_; /* not owned: it owns us */
  SessionLoop &loop_;
  GwsSignaller *signaller_; /* a reference */
  gint timeout_s_;
  /* Loop only. */
  bool cancelled_ = false;
  bool connected_ = false;
  bool warned_ = false;
  bool satisfied_ = false; /* a remote description arrived */
  gint64 begin_us_;
  guint attempts_ = 0;
  guint restart_timer_ = 0;
  guint deadline_timer_ = 0;
  std::string last_retrying_;
};

} // namespace gws
