/* Fuzz target: the Janus protocol helpers (signaling/janus/janus-protocol.*):
 * event parsing and janus+ws:// URI parsing.
 *
 * Input: a first byte choosing the function (even: a message from Janus,
 * odd: a URI), then the text.
 *
 * Invariants: parse() never crashes on any text; what it returns is
 * consistent (an SDP only with its type; a publisher found only in plugin
 * data); the other readers take whatever parse() returned; an accepted URI
 * names a room and a ws:// or wss:// URL that GLib parses. */
#include "fuzz.h"
#include "janus-protocol.h"

#include <string>

namespace jp = gws::janus;

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  std::string text(reinterpret_cast<const char *>(data) + 1, size - 1);
  std::string error;
  if ((data[0] & 1) == 0) {
    auto in = jp::parse(text, error);
    if (!in) {
      FUZZ_CHECK(!error.empty(), "refused without a reason");
      return 0;
    }
    FUZZ_CHECK(!in->janus.empty(), "no kind");
    FUZZ_CHECK(in->jsep_sdp.empty() || !in->jsep_type.empty(),
        "an SDP without its type");
    std::string feed = jp::find_publisher(*in, "", "a");
    (void)jp::find_publisher(*in, "1", "");
    (void)jp::any_stream_active(*in);
    (void)jp::any_media_stream_active(*in);
    (void)jp::data_id(*in, "id");
    FUZZ_CHECK(feed.empty() || in->plugin_data, "a feed from nowhere");
    return 0;
  }
  auto t = jp::parse_uri(text, error);
  if (!t) {
    FUZZ_CHECK(!error.empty(), "refused without a reason");
    return 0;
  }
  FUZZ_CHECK(!t->room.empty(), "accepted without a room");
  FUZZ_CHECK(
      g_uri_is_valid(t->ws_url.c_str(), G_URI_FLAGS_NONE, nullptr)
          || g_uri_is_valid(t->ws_url.c_str(), G_URI_FLAGS_ENCODED, nullptr),
      "ws url \"%s\" is not a URL", t->ws_url.c_str());
  FUZZ_CHECK(g_str_has_prefix(t->ws_url.c_str(), t->tls ? "wss://" : "ws://"),
      "ws url \"%s\" has the wrong scheme", t->ws_url.c_str());
  /* What we build from it is valid JSON. */
  std::string body = jp::body_join_subscriber(*t, t->feed);
  g_autoptr(JsonNode) n = json_from_string(body.c_str(), nullptr);
  FUZZ_CHECK(n != nullptr, "join body is not JSON: %s", body.c_str());
  return 0;
}
