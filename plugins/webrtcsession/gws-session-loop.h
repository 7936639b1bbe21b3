/* gst-webrtc-session: the private thread that serialises an element's
 * session work.
 *
 * Each element owns one: every change to its peer connections and to the
 * bin's children (adding a consumer, linking an encoder, tearing a session
 * down) runs here, in order, so signaller threads, webrtcbin threads and
 * streaming threads only post work and never block on each other. It is a
 * gws::Worker (signaling/common/gws-worker.h): started in the element's
 * READY->PAUSED, stopped (queued work run, thread joined) in PAUSED->READY;
 * work posted while it is stopped is dropped. */
#pragma once

#include "common/gws-worker.h"

namespace gws {

using SessionLoop = Worker;

} // namespace gws
