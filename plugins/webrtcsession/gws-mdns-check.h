/* gst-webrtc-session: remote ICE candidates hidden behind mDNS names.
 *
 * Chromium without camera/microphone permission (a viewer page) replaces
 * its host addresses with random `<uuid>.local` names. webrtcbin resolves
 * them with the system resolver, which knows `.local` only with an mDNS
 * module (nss-mdns with avahi); without one the candidates are dropped and,
 * on a LAN without STUN, the session never connects with no word said.
 * The elements watch the remote candidates (trickled and in descriptions)
 * and, when this machine cannot resolve `.local`, post one warning per
 * session saying why and what to change. */
#pragma once

#include "gws-signaller-link.h"

#include <gst/gst.h>

namespace gws {

/* Wraps @cb's handle_ice, session_description and session_requested (set
 * them first) to post the warning on @element. Callbacks stay on the
 * signaller's thread; the state is guarded by a leaf lock. */
void watch_mdns_candidates(SignallerCallbacks &cb, GstElement *element);

/* TRUE when @candidate ("candidate:1 1 udp 2122 abc.local 5000 typ host",
 * with or without the "candidate:" prefix) has a .local host name; its
 * name in @name. Exposed for tests. */
bool candidate_is_mdns(const std::string &candidate, std::string *name);

} // namespace gws
