/* gst-webrtc-session: the start-order policy (see gws-start-wait.h). */
#include "gws-start-wait.h"

#include "gws-debug.h"

#include <algorithm>

GWS_DEBUG_CATEGORY(gws_start_wait_debug, "gws-start-wait",
    "start-order policy: waiting for the relay, producer or endpoint")
#define GST_CAT_DEFAULT gws_start_wait_debug()

namespace gws {

namespace {

constexpr guint kFirstBackoffMs = 500;
constexpr guint kMaxBackoffMs = 5000;

} // namespace

StartWait::StartWait(GstElement *element, SessionLoop &loop,
    GwsSignaller *signaller, gint timeout_s)
    : element_(element), loop_(loop),
      signaller_(GWS_SIGNALLER(g_object_ref(signaller))), timeout_s_(timeout_s),
      begin_us_(g_get_monotonic_time()) {}

StartWait::~StartWait() {
  disarm(&restart_timer_);
  disarm(&deadline_timer_);
  g_object_unref(signaller_);
}

std::shared_ptr<StartWait>
StartWait::attach(SignallerCallbacks &cb, GstElement *element,
    SessionLoop &loop, GwsSignaller *signaller, gint timeout_s) {
  auto self = std::make_shared<StartWait>(element, loop, signaller, timeout_s);
  std::weak_ptr<StartWait> weak = self;
  SessionLoop *lp = &loop;
  cb.error = [weak, lp](std::string message, SignallerErrorKind kind) {
    lp->post([weak, message, kind]() {
      if (auto s = weak.lock())
        s->on_error(message, kind);
    });
  };
  cb.connection_changed = [weak, lp, element](bool connected) {
    GST_INFO_OBJECT(
        element, "signalling %s", connected ? "connected" : "disconnected");
    lp->post([weak, connected]() {
      if (auto s = weak.lock())
        s->on_connected(connected);
    });
  };
  auto inner = cb.session_description;
  cb.session_description = [weak, lp, inner](std::string id, DescPtr desc) {
    lp->post([weak]() {
      if (auto s = weak.lock())
        s->on_description();
    });
    if (inner)
      inner(std::move(id), std::move(desc));
  };
  return self;
}

void
StartWait::cancel() {
  cancelled_ = true;
  disarm(&restart_timer_);
  disarm(&deadline_timer_);
}

bool
StartWait::time_left(gint64 now, gint64 *left_us) const {
  if (timeout_s_ < 0) {
    *left_us = G_MAXINT64;
    return true;
  }
  *left_us = begin_us_ + gint64(timeout_s_) * G_USEC_PER_SEC - now;
  return *left_us > 0;
}

void
StartWait::arm(guint *id, guint ms, void (StartWait::*fn)()) {
  disarm(id);
  std::weak_ptr<StartWait> weak = shared_from_this();
  guint *slot = id;
  *id = loop_.every(ms, [weak, slot, fn]() {
    auto s = weak.lock();
    if (!s)
      return;
    s->disarm(slot); /* one shot */
    if (!s->cancelled_)
      ((*s).*fn)();
  });
}

void
StartWait::disarm(guint *id) {
  if (*id)
    loop_.cancel(*id);
  *id = 0;
}

void
StartWait::give_up(const std::string &message) {
  cancel();
  std::string text = message;
  if (timeout_s_ > 0)
    text += "; gave up after " + std::to_string(timeout_s_)
            + " s (wait-timeout)";
  GST_ELEMENT_ERROR(
      element_, RESOURCE, NOT_FOUND, ("%s", text.c_str()), (nullptr));
}

void
StartWait::on_error(const std::string &message, SignallerErrorKind kind) {
  if (cancelled_)
    return;
  if (kind == SignallerErrorKind::Fatal) {
    cancel();
    GST_ELEMENT_ERROR(
        element_, RESOURCE, FAILED, ("%s", message.c_str()), (nullptr));
    return;
  }
  if (satisfied_) {
    /* We had what we needed; it is missing again: a new wait. */
    satisfied_ = false;
    begin_us_ = g_get_monotonic_time();
  }
  gint64 left = 0;
  bool waiting = time_left(g_get_monotonic_time(), &left) && timeout_s_ != 0;
  if (kind == SignallerErrorKind::Retrying) {
    /* The signaller keeps trying by itself (relay unreachable). */
    if (!waiting && !connected_) {
      give_up(message);
      return;
    }
    GST_ELEMENT_WARNING(element_, RESOURCE, OPEN_READ_WRITE,
        ("%s", message.c_str()), (nullptr));
    if (!connected_ && timeout_s_ > 0 && !deadline_timer_) {
      last_retrying_ = message;
      arm(&deadline_timer_, guint(std::max<gint64>(left / 1000, 1)),
          &StartWait::deadline);
    }
    return;
  }
  /* Unavailable: the signaller stopped; start it again later. */
  if (!waiting) {
    give_up(message);
    return;
  }
  if (!warned_) {
    warned_ = true;
    std::string text
        = message + ": waiting "
          + (timeout_s_ < 0 ? std::string("for ever")
                            : "up to " + std::to_string(timeout_s_) + " s")
          + " for it to appear (wait-timeout)";
    GST_ELEMENT_WARNING(
        element_, RESOURCE, NOT_FOUND, ("%s", text.c_str()), (nullptr));
  } else {
    GST_INFO_OBJECT(element_, "still waiting: %s", message.c_str());
  }
  guint backoff
      = std::min(kMaxBackoffMs, kFirstBackoffMs << std::min(attempts_, 4u));
  attempts_++;
  if (gint64(backoff) * 1000 > left)
    backoff = guint(std::max<gint64>(left / 1000, 1));
  arm(&restart_timer_, backoff, &StartWait::restart);
}

void
StartWait::restart() {
  GST_INFO_OBJECT(
      element_, "starting the signaller again (attempt %u)", attempts_ + 1);
  gws_signaller_stop(signaller_);
  gws_signaller_start(signaller_);
}

void
StartWait::deadline() {
  if (connected_)
    return;
  give_up(last_retrying_);
}

void
StartWait::on_connected(bool connected) {
  if (cancelled_)
    return;
  connected_ = connected;
  if (connected)
    disarm(&deadline_timer_);
}

void
StartWait::on_description() {
  if (cancelled_)
    return;
  /* The session exists: the wait is over. A later "unavailable" starts a
   * new one. */
  if (warned_)
    GST_INFO_OBJECT(element_, "what we waited for is there");
  warned_ = false;
  attempts_ = 0;
  satisfied_ = true;
  disarm(&restart_timer_);
}

} // namespace gws
