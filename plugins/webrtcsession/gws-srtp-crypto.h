/* gst-webrtc-session: libsrtp's crypto back end kept initialised.
 *
 * Debian's libsrtp2 (2.5) does its AES and HMAC with NSS, and opens an NSS
 * context (NSS_InitContext) in every cipher and auth allocation and shuts
 * it down in every deallocation. With no other context open, each one
 * initialises NSS from scratch and tears it down again. srtp_init(), run
 * when GStreamer loads its srtp plugin (on a webrtcbin's first offer in a
 * process), allocates and frees one of each for its self-tests: 25-60 ms
 * of a fresh receiver's start, measured on this machine, where ~10 ms
 * remain when one NSS context is held open across it. Later, a process
 * whose sessions all ended pays NSS's start-up again at the next session.
 *
 * srtp_crypto_hold() opens one NSS context of the kind libsrtp opens
 * (read-only, no certificate or module database) and keeps it for the
 * life of the process, so that libsrtp's own contexts only count
 * references. Nothing when libsrtp does not use NSS (another build) or is
 * missing; nothing is linked (the libraries are looked up at run time).
 *
 * Threading: call it on the DTLS warm-up thread (gws-ice.h), before the
 * srtp plugin is loaded; it runs once per process. */
#pragma once

namespace gws {

void srtp_crypto_hold();

} // namespace gws
