/* gst-webrtc-session: constant-time secret comparison (see gws-secret.h). */
#include "gws-secret.h"

#include <cstring>

namespace gws {

bool
equal_secret(const std::string &expected, const char *given) {
  if (!given)
    return false;
  size_t glen = strlen(given);
  unsigned char diff = expected.size() != glen;
  for (size_t i = 0; i < expected.size(); i++) {
    /* Past the end of @given the length check has failed already; keep
     * reading something so the time does not show where @given ends. */
    unsigned char g = static_cast<unsigned char>(i < glen ? given[i] : 0);
    diff |= static_cast<unsigned char>(expected[i]) ^ g;
  }
  return diff == 0;
}

} // namespace gws
