/* gst-webrtc-session: BUNDLE offers made acceptable to webrtcbin 1.22.
 *
 * RFC 8843 lets the m-lines of a BUNDLE group in an initial offer carry
 * different transports (their own ice-ufrag/ice-pwd and candidates): the
 * offerer does not know yet whether the answerer accepts BUNDLE. aiortc
 * sends audio + video that way. Once BUNDLE is accepted only the transport
 * of the offerer's tagged m-line (the first of the group) is used, but
 * webrtcbin refuses such an offer ("media 1 has different ice-ufrag values
 * in bundle"). sdp_normalize_bundle() rewrites it to what the answer will
 * mean anyway: every m-line of a group gets the tagged m-line's ice-ufrag
 * and ice-pwd, and the candidates of the other transports are dropped.
 *
 * Pure functions: no GStreamer state, callable from any thread. Both
 * elements apply them to every remote offer (gws-signaller-link.cpp). */
#pragma once

#include <gst/sdp/sdp.h>

#include <string>

namespace gws {

/* Normalises @sdp in place; returns how many m-lines it changed (0: the
 * offer was fine as it was, or has no BUNDLE group). */
guint sdp_normalize_bundle(GstSDPMessage *sdp);

/* The same on SDP text. Returns false when @in is not SDP with at least
 * one m-line (then @out is untouched); @changed (nullable) receives the m-line
 * count. */
bool sdp_normalize_bundle_text(
    const std::string &in, std::string *out, guint *changed = nullptr);

} // namespace gws
