/* gst-webrtc-session: the DTLS certificate of every webrtcbin we make.
 *
 * What webrtcbin 1.22 does by itself (gst-plugins-bad ext/dtls, read from
 * the 1.22 sources): every dtlsdec, in its instance init, takes the
 * process's one generated agent (a g_once), so the first dtlsdec of a
 * process makes an RSA-2048 key and a self-signed certificate (0.13-0.4 s
 * here) whatever `pem` is set afterwards; a `pem` set on a dtlsdec (which
 * is all the DTLS transport's `certificate` property does) only switches
 * that dtlsdec to another agent for its handshakes. And webrtcbin's
 * a=fingerprint is the SHA-256 of every base64 line of that `pem`, private
 * key included, so with a custom certificate the SDP fingerprint is wrong
 * and a peer that checks it (every browser) refuses the handshake.
 *
 * What we do: one certificate per element (the `certificate` property, a
 * PEM certificate + private key) or, by default, one ECDSA P-256
 * certificate made once per process (microseconds; what browsers use). It
 * is set as `pem` on every dtlssrtpdec as webrtcbin adds it (its
 * deep-element-added signal, before any fingerprint is computed or
 * handshake made), and the a=fingerprint lines of each local description
 * are rewritten to the certificate's real SHA-256 fingerprint
 * (dtls_certificate_fix_description()) before it is set and sent.
 *
 * Pure data and helpers: callable from any thread. */
#pragma once

#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

#include <memory>
#include <string>

namespace gws {

struct DtlsCertificate {
  std::string pem;         /* certificate + private key, as dtlsdec reads */
  std::string fingerprint; /* SHA-256 of the certificate's DER, "AB:CD:..." */
  std::string key_type;    /* "ECDSA P-256", "RSA 2048", ... for logs */
};

using DtlsCertificatePtr = std::shared_ptr<const DtlsCertificate>;

/* Parses @pem: an X.509 certificate and its private key (unencrypted), in
 * PEM, in either order. Returns nullptr and sets @error (GST_RESOURCE_ERROR,
 * SETTINGS) saying what is wrong when there is no certificate, no key, an
 * encrypted key, or a key that does not belong to the certificate. */
DtlsCertificatePtr dtls_certificate_from_pem(const char *pem, GError **error);

/* The process's default: an ECDSA P-256 key with a self-signed certificate
 * (SHA-256, valid from a day ago for a year), made on the first call. Never
 * nullptr (aborts only if OpenSSL cannot make a key at all). */
DtlsCertificatePtr dtls_default_certificate();

/* Makes every DTLS transport @webrtcbin will create use @cert (the
 * default when nullptr). Call before the first offer or answer. */
void dtls_certificate_apply(GstElement *webrtcbin, DtlsCertificatePtr cert);

/* Rewrites the a=fingerprint attributes (session and media level) of
 * @desc, a description @webrtcbin just created, to the fingerprint of the
 * certificate dtls_certificate_apply() gave it. Nothing when it has none.
 * Returns how many attributes were rewritten. */
guint dtls_certificate_fix_description(
    GstElement *webrtcbin, GstWebRTCSessionDescription *desc);

/* The same on an SDP message (pure; for tests). */
guint dtls_certificate_fix_sdp(GstSDPMessage *sdp, const DtlsCertificate &cert);

} // namespace gws
