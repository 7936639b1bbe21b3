/* Fuzz target: the relay protocol codec (signaling/protocol/message.*).
 *
 * Input: one text frame. Invariants: parse() never crashes and explains
 * every refusal; what it accepts serializes to JSON that parses again to
 * the same serialization (the relay forwards what it parsed, so a message
 * that does not survive the trip would reach the peer changed); the
 * accessors never crash on an accepted message. The relay's ICE fast path
 * (protocol/ice_fast_path.h) never takes what parse() refuses, and what it
 * forwards parses to the same session and candidate as the slow path's. */
#include "fuzz.h"
#include "protocol/ice_fast_path.h"
#include "protocol/message.h"

#include <string>
#include <string_view>

using namespace gws::protocol;

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view text(reinterpret_cast<const char *>(data), size);
  ParseResult r = parse(text);
  PeerIce fast;
  if (scan_peer_ice(text, fast)) {
    FUZZ_CHECK(r.message && r.message->type == Type::Peer && r.message->ice,
        "fast path took what parse() refuses (%s)", r.error.c_str());
    FUZZ_CHECK(r.message->session_id == fast.session_id,
        "fast path session id differs");
    ParseResult fwd = parse(serialize_peer_ice(fast.session_id, fast.ice));
    FUZZ_CHECK(fwd.message && serialize(*fwd.message) == serialize(*r.message),
        "fast path forwards something else");
  }
  if (!r.message) {
    FUZZ_CHECK(!r.error.empty(), "refusal without a reason");
    return 0;
  }
  const Message &m = *r.message;
  std::string once = serialize(m);
  ParseResult again = parse(once);
  FUZZ_CHECK(again.message, "serialized form refused (%s): %s",
      again.error.c_str(), once.c_str());
  FUZZ_CHECK(again.message->type == m.type, "type changed: %s", once.c_str());
  std::string twice = serialize(*again.message);
  FUZZ_CHECK(
      once == twice, "not stable: %s -> %s", once.c_str(), twice.c_str());

  (void)type_name(m.type);
  (void)sdp_type(m);
  (void)sdp_text(m);
  (void)ice_candidate(m);
  (void)ice_mline_index(m);
  (void)ice_mid(m);
  if (m.sdp)
    (void)json_to_string(m.sdp);
  return 0;
}
