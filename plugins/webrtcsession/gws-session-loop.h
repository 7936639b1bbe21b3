/* gst-webrtc-session: the private thread that serialises an element's
 * session work.
 *
 * Each element owns one: every change to its peer connections and to the
 * bin's children (adding a consumer, linking an encoder, tearing a session
 * down) runs here, in order, so signaller threads, webrtcbin threads and
 * streaming threads only post work and never block on each other. It is a
 * gws::Worker (signaling/common/gws-worker.h): started in the element's
 * NULL->READY, stopped (queued work run, thread joined) in READY->NULL;
 * work posted while it is stopped is dropped. */
#pragma once

#include "common/gws-worker.h"
#include "gws-stats-snapshot.h"

#include <functional>

namespace gws {

using SessionLoop = Worker;

/* An action signal's work on a session (restart-session, send-data-*):
 * runs @work (which says whether it did anything) at once when called on
 * the session thread; from any other thread it is queued in order, never
 * waited for (a streaming thread must not block on the session thread),
 * and the answer is whether a session matching @session_id (NULL: any) is
 * in the published stats. FALSE when the loop is not running. */
inline bool
run_on_session_thread(SessionLoop &loop, const StatsSnapshot &snapshot,
    const gchar *session_id, std::function<bool()> work) {
  if (!loop.running())
    return false;
  if (loop.is_current())
    return work();
  if (!snapshot.has_session(session_id))
    return false;
  loop.post([work = std::move(work)]() { work(); });
  return true;
}

} // namespace gws
