/* gst-webrtc-session: comparing a secret (an access token) with what a
 * client sent, for the relay and the WHIP/WHEP servers. */
#pragma once

#include <string>

namespace gws {

/* TRUE when @given (may be null) equals @expected. The time taken depends
 * on @expected's length only, not on where the first difference is or on
 * @given's length. */
bool equal_secret(const std::string &expected, const char *given);

} // namespace gws
