/* gst-webrtc-session: ICE and transport settings for a webrtcbin.
 *
 * Both elements make one webrtcbin per peer and configure it the same way:
 * max-bundle, the STUN server and TURN servers the user gave (none by
 * default: nothing contacts the internet unless configured), and the local
 * addresses ICE may use. libnice skips loopback interfaces, so an address
 * such as 127.0.0.1 must be added to the NiceAgent explicitly. */
#pragma once

#include <gst/gst.h>

#include <string>
#include <vector>

namespace gws {

struct IceConfig {
  std::vector<std::string> addresses; /* empty: every interface */
  std::string stun_server;            /* empty: none */
  std::vector<std::string> turn_servers;
};

/* Splits "127.0.0.1, 10.0.0.2" into addresses; an empty string is none. */
std::vector<std::string> split_addresses(const char *list);
std::string join_addresses(const std::vector<std::string> &addresses);

/* Makes a webrtcbin named @name configured from @ice. Returns nullptr and
 * sets @error when webrtcbin is missing or an address is not valid. The
 * ice-agent is kept alive by a reference attached to the webrtcbin. */
GstElement *make_webrtcbin(
    const char *name, const IceConfig &ice, GError **error);

/* Starts making the process's DTLS certificate (RSA-2048, ~0.4 s, made once
 * per process on first use) on a GIO worker thread, so that the first
 * session finds it ready (or waits less). Returns at once. */
void warm_up_dtls();

} // namespace gws
