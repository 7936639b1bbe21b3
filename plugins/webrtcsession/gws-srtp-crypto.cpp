/* gst-webrtc-session: libsrtp's NSS kept initialised (see
 * gws-srtp-crypto.h). */
#include "gws-srtp-crypto.h"

#include "gws-debug.h"

#include <dlfcn.h>
#include <gst/gst.h>

GWS_DEBUG_CATEGORY(gws_srtp_crypto_debug, "gws-srtp-crypto",
    "libsrtp's NSS context held for the process")
#define GST_CAT_DEFAULT gws_srtp_crypto_debug()

namespace gws {

namespace {

/* libsrtp2's soname (Debian's libsrtp2-1), the one GStreamer's srtp plugin
 * links. */
constexpr const char *kLibsrtp = "libsrtp2.so.1";
/* NSS's soname; it is in the process once libsrtp is loaded if libsrtp
 * uses it. */
constexpr const char *kLibnss = "libnss3.so";
/* The flags libsrtp 2.x opens its contexts with (values of NSS's public
 * nss.h: NSS_INIT_READONLY | NSS_INIT_NOCERTDB | NSS_INIT_NOMODDB |
 * NSS_INIT_FORCEOPEN | NSS_INIT_OPTIMIZESPACE). */
constexpr unsigned kNssFlags = 0x1 | 0x2 | 0x4 | 0x8 | 0x20;

using InitContextFn = void *(*)(const char *configdir, const char *cert_prefix,
    const char *key_prefix, const char *secmod_name, void *init_params,
    unsigned flags);

void
hold() {
  gint64 t0 = g_get_monotonic_time();
  void *srtp = dlopen(kLibsrtp, RTLD_LAZY | RTLD_LOCAL);
  if (!srtp) {
    GST_DEBUG("%s not found: nothing to do", kLibsrtp);
    return;
  }
  /* Only if libsrtp brought NSS in: never load NSS for nothing. */
  void *nss = dlopen(kLibnss, RTLD_LAZY | RTLD_LOCAL | RTLD_NOLOAD);
  if (!nss) {
    GST_DEBUG("%s does not use NSS: nothing to do", kLibsrtp);
    return;
  }
  auto init_context
      = reinterpret_cast<InitContextFn>(dlsym(nss, "NSS_InitContext"));
  void *context = init_context
                      ? init_context("", "", "", "", nullptr, kNssFlags)
                      : nullptr;
  /* Both libraries and the context stay for the life of the process (NSS
   * needs no shutdown at exit). */
  /* Reachable for the life of the process (leak checkers). */
  static void *held = nullptr;
  held = context;
  if (!held) {
    GST_WARNING("could not open an NSS context: libsrtp initialises NSS "
                "on its own");
    return;
  }
  GST_DEBUG("NSS context held for libsrtp, in %" G_GINT64_FORMAT " us",
      g_get_monotonic_time() - t0);
}

} // namespace

void
srtp_crypto_hold() {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    hold();
    g_once_init_leave(&once, 1);
  }
}

} // namespace gws
