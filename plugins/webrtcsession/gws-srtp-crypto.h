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
 * Threading: it runs once per process; a second caller waits for the
 * first. It must be done before the srtp plugin is loaded, never while:
 * that plugin's start-up (srtp_init()'s self-tests) opens and shuts NSS,
 * and NSS initialising on one thread while it shuts down on another
 * crashed the process (twice in CI, "Caught a segmentation fault while
 * loading plugin file: libgstsrtp.so", in the offline tests, whose
 * sessions start at once: the session thread's first webrtcbin loaded
 * srtp while the warm-up thread opened this context). So both the DTLS
 * warm-up thread (gws-ice.h) and make_webrtcbin() call it first. */
#pragma once

namespace gws {

void srtp_crypto_hold();

} // namespace gws
