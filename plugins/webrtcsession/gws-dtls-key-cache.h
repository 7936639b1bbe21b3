/* gst-webrtc-session: the process's RSA key for webrtcbin, from a per-user
 * cache.
 *
 * gst-plugins-bad 1.22's dtlsdec makes one RSA-2048 key and certificate per
 * process, in the instance init of the process's first dtlsdec, whatever
 * `pem` is set later (gws-dtls-certificate.h). Our connections never use
 * it (each DTLS transport gets our certificate), but every fresh process
 * waits for it: 0.13-0.4 s on these machines, the largest part of a fresh
 * webrtcsrc's time to first frame. webrtcbin offers no way around it; the
 * key is made with OpenSSL's RSA_generate_key_ex(), which honours the
 * RSA_METHOD keygen of the RSA object it fills.
 *
 * make_process_dtls_agent() creates that first dtlsdec on the calling
 * thread (the warm-up thread, gws-ice.h) with, for that one call on that
 * thread only, a keygen that copies a key kept in
 * $XDG_CACHE_HOME/gst-webrtc-session/dtls-rsa-2048.pem (mode 0600 in a 0700
 * directory, owned by the user; anything else is ignored), or generates
 * one as OpenSSL would and stores it there for the next process. Other
 * threads' RSA key generation in that window is done by OpenSSL's own
 * code. The key remains what webrtcbin uses for any transport that is not
 * ours (an application's own webrtcbin in the same process): a persistent
 * key, as browsers' stored RTCCertificates are, instead of one per process.
 * GWS_DTLS_KEY_CACHE=0 in the environment turns the cache off. */
#pragma once

namespace gws {

/* Makes (and drops) a dtlsdec so that the process's generated DTLS agent
 * exists, using the cached key as described above. Returns true when the
 * key came from the cache. Safe to call more than once; only the first
 * dtlsdec of the process makes a key. */
bool make_process_dtls_agent();

} // namespace gws
