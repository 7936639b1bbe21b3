/* Fuzz target: the URL and text helpers of WHIP/WHEP (whip-util.*:
 * resolve_url, media_type, short_reason).
 *
 * Input: a base URL, a newline, a reference (a Location header).
 *
 * Invariants: a resolved Location is empty or a URL (as GLib parses it,
 * escapes kept; one that libsoup then refuses is reported by the client as
 * an invalid URL); short_reason gives one line of at most 200 characters;
 * media_type is lower case without parameters. */
#include "fuzz.h"
#include "whip-util.h"

#include <string>

using namespace gws::whip;

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string input(reinterpret_cast<const char *>(data), size);
  size_t nl = input.find('\n');
  std::string base = input.substr(0, nl);
  std::string ref = nl == std::string::npos ? "" : input.substr(nl + 1);

  std::string url = resolve_url(base, ref);
  if (!url.empty())
    FUZZ_CHECK(
        g_uri_is_valid(url.c_str(),
            GUriFlags(G_URI_FLAGS_ENCODED | G_URI_FLAGS_HAS_PASSWORD), nullptr),
        "resolved \"%s\" is not a URL", url.c_str());

  std::string reason = short_reason(input);
  FUZZ_CHECK(reason.size() <= 200, "reason of %zu characters", reason.size());
  FUZZ_CHECK(reason.find('\n') == std::string::npos, "reason has a newline");

  std::string type = media_type(input.c_str());
  FUZZ_CHECK(
      type.find(';') == std::string::npos, "parameters left: %s", type.c_str());
  for (char c : type)
    FUZZ_CHECK(!g_ascii_isupper(c), "not lower case: %s", type.c_str());
  return 0;
}
