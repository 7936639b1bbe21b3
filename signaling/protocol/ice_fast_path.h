/* gst-webrtc-session: the relay's fast path for ICE candidate messages.
 *
 * Most of what a relay forwards is trickled ICE candidates,
 * {"type":"peer","sessionId":"...","ice":{"candidate":"...",...}}. Parsing
 * each into a json-glib tree and writing a new one (parse() and serialize()
 * in message.h) was a quarter of the relay's CPU time per message. This
 * scanner checks such a message in one pass without building anything and
 * hands back the session id and the exact text of the ice object, which the
 * relay forwards as it came.
 *
 * It is deliberately narrow: it accepts only strict JSON (RFC 8259) with no
 * \u escapes, no duplicate member that matters, integers only, nesting of at
 * most kMaxDepth, and an ice object that parse() would accept too. Anything
 * else (every malformed or refused message included) returns false and goes
 * through parse(), which gives the answer and the error text. So the fast
 * path never accepts what parse() would refuse. */
#pragma once

#include <string>
#include <string_view>

namespace gws::protocol {

struct PeerIce {
  std::string_view session_id; /* no escapes: the text as it is */
  std::string_view ice;        /* the ice object's exact text */
};

/* True when `text` is an ICE `peer` message this fast path takes; `out`
 * then points into `text`. */
bool scan_peer_ice(std::string_view text, PeerIce &out);

/* The message as the relay forwards it: type, session id and ice object
 * (other top-level members are dropped, as serialize() does). */
std::string serialize_peer_ice(
    std::string_view session_id, std::string_view ice);

} // namespace gws::protocol
