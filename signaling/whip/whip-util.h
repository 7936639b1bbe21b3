/* gst-webrtc-session: WHIP/WHEP helpers shared by the four signallers.
 *
 * Pure functions (SDP fragments, Link headers, content types, URLs). No GObject
 * types here; see gws-whip-client.h and friends for those. */
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include "common/gws-worker.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace gws {
namespace whip {

constexpr const char *kSdpType = "application/sdp";
constexpr const char *kSdpFragType = "application/trickle-ice-sdpfrag";

/* One local or remote ICE candidate: "candidate:..." (no "a=") on an m-line
 * of the session description. */
struct Candidate {
  guint mline = 0;
  std::string mid; /* empty when unknown */
  std::string candidate;
};

/* A parsed application/trickle-ice-sdpfrag body (RFC 8840). */
struct SdpFrag {
  std::string ufrag; /* empty when the fragment has none */
  std::string pwd;
  std::vector<Candidate> candidates; /* mline: index inside the fragment */
  bool end_of_candidates = false;
};

/* Parses @text; false with @error set when it is not a usable fragment
 * (no SDP lines, malformed candidate, unknown line type). */
bool parse_sdpfrag(const std::string &text, SdpFrag &frag, std::string &error);

/* Builds a trickle fragment for @candidates against @offer (our local
 * description: its ufrag/pwd, m-lines and mids). @end adds
 * a=end-of-candidates. */
std::string build_sdpfrag(const GstSDPMessage *local,
    const std::vector<Candidate> &candidates, bool end);

/* ICE ufrag of @sdp (session or first media level); empty when none. */
std::string sdp_ufrag(const GstSDPMessage *sdp);
/* Index of the m-line whose a=mid is @mid; -1 when none. */
int sdp_mline_for_mid(const GstSDPMessage *sdp, const std::string &mid);

/* A copy of @sdp with a=candidate lines (and a=end-of-candidates on every
 * m-line when @end) added to the m-lines the candidates name. */
GstSDPMessage *sdp_with_candidates(const GstSDPMessage *sdp,
    const std::vector<Candidate> &candidates, bool end);

/* Parses SDP text; nullptr with @error set when it is not SDP with at least
 * one m-line. */
GstSDPMessage *parse_sdp(const std::string &text, std::string &error);
std::string sdp_to_text(const GstSDPMessage *sdp);

/* An ICE server from a `Link: <url>; rel="ice-server"` header. */
struct IceServer {
  std::string url; /* as sent: stun:host:port, turn:host?transport=udp */
  std::string username;
  std::string credential;
  /* The form webrtcbin takes: stun://host:port, turn://user:pass@host:port
   * (credentials URI-escaped, query kept). Empty when not stun/turn(s). */
  std::string gst_url() const;
};

/* Every rel="ice-server" entry of a Link header value (several entries
 * separated by commas, as libsoup joins repeated headers). */
std::vector<IceServer> parse_link_ice_servers(const std::string &value);
/* The Link header value announcing @server. */
std::string format_link_ice_server(const IceServer &server);
/* Parses a GStreamer-form URL (stun://h:p, turn://u:p@h:p?transport=udp)
 * back into a Link entry; false when it is neither. */
bool ice_server_from_gst_url(const std::string &url, IceServer &server);

/* The media type of a Content-Type value, lower case, without parameters. */
std::string media_type(const char *content_type);

/* Resolves @ref (a Location header) against @base; empty when invalid. */
std::string resolve_url(const std::string &base, const std::string &ref);

/* TRUE when @a and @b have the same origin (scheme, host, port; the
 * scheme's default port when none is given). */
bool same_origin(const std::string &a, const std::string &b);

/* A reason body shortened for an error message (one line, at most 200
 * characters). */
std::string short_reason(const std::string &body);

/* The private thread of a signaller: gws::Worker (common/gws-worker.h),
 * started by the signaller's start(), joined by its dispose. */
using gws::Worker;

/* g_autoptr-like holders for C++ members. */
struct GObjectDeleter {
  void operator()(gpointer obj) const {
    if (obj)
      g_object_unref(obj);
  }
};
template <typename T> using ObjPtr = std::unique_ptr<T, GObjectDeleter>;

struct SdpDeleter {
  void operator()(GstSDPMessage *sdp) const {
    if (sdp)
      gst_sdp_message_free(sdp);
  }
};
using SdpPtr = std::unique_ptr<GstSDPMessage, SdpDeleter>;

} // namespace whip
} // namespace gws
