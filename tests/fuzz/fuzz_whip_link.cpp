/* Fuzz target: the Link header helpers of WHIP/WHEP (whip-util.*:
 * parse_link_ice_servers, format_link_ice_server, IceServer::gst_url,
 * ice_server_from_gst_url).
 *
 * Input: a Link header value (what a WHIP/WHEP server sent us).
 *
 * Invariants: every ICE server we parse, announced again with
 * format_link_ice_server (as our servers do), parses back to itself; its
 * webrtcbin form, when it has one, parses back as a stun/turn URL; the
 * input taken as a GStreamer URL never crashes the reverse conversion. */
#include "fuzz.h"
#include "whip-util.h"

#include <string>

using namespace gws::whip;

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string value(reinterpret_cast<const char *>(data), size);
  for (const IceServer &s : parse_link_ice_servers(value)) {
    std::string again = format_link_ice_server(s);
    auto back = parse_link_ice_servers(again);
    FUZZ_CHECK(back.size() == 1, "\"%s\" announced as %s parsed as %zu servers",
        s.url.c_str(), again.c_str(), back.size());
    FUZZ_CHECK(back[0].url == s.url && back[0].username == s.username
                   && back[0].credential == s.credential,
        "%s did not survive: url \"%s\" -> \"%s\", username \"%s\" -> \"%s\"",
        again.c_str(), s.url.c_str(), back[0].url.c_str(), s.username.c_str(),
        back[0].username.c_str());
    std::string gst = s.gst_url();
    IceServer from;
    (void)ice_server_from_gst_url(gst, from);
  }
  IceServer from;
  if (ice_server_from_gst_url(value, from))
    FUZZ_CHECK(!from.gst_url().empty(), "%s: no webrtcbin form for %s",
        value.c_str(), from.url.c_str());
  return 0;
}
