/* gst-webrtc-session: ICE and transport settings for a webrtcbin.
 *
 * Both elements make one webrtcbin per peer and configure it the same way:
 * max-bundle, the STUN server and TURN servers the user gave (none by
 * default: nothing contacts the internet unless configured), and the local
 * addresses ICE may use. libnice skips loopback interfaces, so an address
 * such as 127.0.0.1 must be added to the NiceAgent explicitly. */
#pragma once

#include "gws-dtls-certificate.h"

#include <gst/gst.h>

#include <string>
#include <vector>

namespace gws {

struct IceConfig {
  std::vector<std::string> addresses; /* empty: every interface */
  /* No interface but loopback (gws-network-check.h): with no addresses,
   * make_webrtcbin() adds 127.0.0.1. */
  bool loopback_fallback = false;
  std::string stun_server; /* empty: none */
  std::vector<std::string> turn_servers;
  /* The DTLS certificate of every transport (gws-dtls-certificate.h);
   * nullptr: the process's ECDSA default. */
  DtlsCertificatePtr certificate;
};

/* Splits "127.0.0.1, 10.0.0.2" into addresses; an empty string is none. */
std::vector<std::string> split_addresses(const char *list);
std::string join_addresses(const std::vector<std::string> &addresses);

/* Merges STUN/TURN URLs in webrtcbin's form into @ice: the first stun://
 * URL becomes the STUN server unless @ice already has one (the element's
 * own setting wins; webrtcbin takes one); turn:// and turns:// URLs are
 * appended unless already there. Other URLs (stuns://, unknown schemes)
 * are skipped. Returns how many were taken. */
guint ice_config_add_servers(
    IceConfig &ice, const std::vector<std::string> &urls);

/* Merges the servers @signaller learned from its remote end: its
 * "ice-servers" capability (GwsSignaller interface), as the WHIP and WHEP
 * clients fill it (the endpoint's Link rel="ice-server" headers, fetched by
 * OPTIONS before the session starts). Does nothing when it is empty, or
 * when it is writable: the WHIP/WHEP servers' "ice-servers" is what they
 * announce to their clients, not what this side should use
 * (gws_signaller_dup_announced_ice_servers()). Call it right before
 * make_webrtcbin(), without holding a lock. */
void ice_config_add_signaller_servers(IceConfig &ice, GObject *signaller);

/* Makes a webrtcbin named @name configured from @ice (its DTLS
 * certificate too: dtls_certificate_apply()). Returns nullptr and
 * sets @error when webrtcbin is missing or an address is not valid. The
 * ice-agent is kept alive by a reference attached to the webrtcbin, and its
 * NiceAgent watched for the selected pair (gws-candidate-stats.h). */
GstElement *make_webrtcbin(
    const char *name, const IceConfig &ice, GError **error);

/* Starts making the process's DTLS certificate (RSA-2048, ~0.4 s, made once
 * per process on first use) on a thread of its own, so that the first
 * session finds it ready (or waits less). Returns at once; nothing when
 * the certificate is made or being made. */
void warm_up_dtls();
/* Waits for the thread warm_up_dtls() started, if any (so that no thread of
 * ours is inside libcrypto when the process exits and OpenSSL cleans up).
 * Each element calls it when it goes from READY to NULL. */
void finish_dtls_warm_up();

} // namespace gws
