/* gst-webrtc-session: DTLS certificates (see gws-dtls-certificate.h). */
#include "gws-dtls-certificate.h"

#include <gst/sdp/sdp.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstring>
#include <memory>
#include <mutex>

GST_DEBUG_CATEGORY_STATIC(gws_dtls_debug);
#define GST_CAT_DEFAULT gws_dtls_debug

namespace gws {

namespace {

void
init_debug() {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(
        gws_dtls_debug, "gws-dtls", 0, "gst-webrtc-session DTLS certificate");
    g_once_init_leave(&once, 1);
  }
}

struct BioFree {
  void operator()(BIO *b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509 *x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY *k) const { EVP_PKEY_free(k); }
};
struct BnFree {
  void operator()(BIGNUM *b) const { BN_free(b); }
};
struct NameFree {
  void operator()(X509_NAME *n) const { X509_NAME_free(n); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using NamePtr = std::unique_ptr<X509_NAME, NameFree>;

/* A passphrase callback that has none: an encrypted key fails to load
 * instead of OpenSSL prompting on the terminal. */
int
no_passphrase(char *, int, int, void *) {
  return -1;
}

std::string
fingerprint_of(X509 *x509) {
  unsigned char *der = nullptr;
  int len = i2d_X509(x509, &der);
  if (len <= 0)
    return "";
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
  g_checksum_update(sum, der, len);
  OPENSSL_free(der);
  guint8 digest[32];
  gsize digest_len = sizeof(digest);
  g_checksum_get_digest(sum, digest, &digest_len);
  std::string out;
  for (gsize i = 0; i < digest_len; i++) {
    char hex[4];
    g_snprintf(hex, sizeof(hex), i ? ":%02X" : "%02X", digest[i]);
    out += hex;
  }
  return out;
}

std::string
describe_key(EVP_PKEY *key) {
  int bits = EVP_PKEY_get_bits(key);
  if (EVP_PKEY_is_a(key, "EC")) {
    char group[64] = "";
    size_t glen = 0;
    EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof(group), &glen);
    return std::string("ECDSA ") + (glen ? group : "");
  }
  if (EVP_PKEY_is_a(key, "RSA"))
    return "RSA " + std::to_string(bits);
  const char *name = EVP_PKEY_get0_type_name(key);
  return std::string(name ? name : "key") + " " + std::to_string(bits);
}

std::string
openssl_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (!e)
    return "";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return std::string(" (") + buf + ")";
}

DtlsCertificatePtr
generate_ecdsa() {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  X509Ptr x509(X509_new());
  BnPtr serial(BN_new());
  NamePtr name(X509_NAME_new());
  if (!key || !x509 || !serial || !name)
    return nullptr;
  X509_set_version(x509.get(), 2);
  /* A random 64-bit serial and subject, as webrtcbin's own do. */
  if (!BN_rand(serial.get(), 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY)
      || !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(x509.get())))
    return nullptr;
  g_autofree gchar *cn = g_strdup_printf("gws-%08x", g_random_int());
  X509_NAME_add_entry_by_NID(name.get(), NID_commonName, MBSTRING_ASC,
      reinterpret_cast<const unsigned char *>(cn), -1, -1, 0);
  X509_set_subject_name(x509.get(), name.get());
  X509_set_issuer_name(x509.get(), name.get());
  /* From a day ago (a peer's clock may be behind) for a year. */
  X509_gmtime_adj(X509_getm_notBefore(x509.get()), -86400L);
  X509_gmtime_adj(X509_getm_notAfter(x509.get()), 365L * 86400L);
  X509_set_pubkey(x509.get(), key.get());
  if (!X509_sign(x509.get(), key.get(), EVP_sha256()))
    return nullptr;
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || !PEM_write_bio_X509(bio.get(), x509.get())
      || !PEM_write_bio_PrivateKey(
          bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr))
    return nullptr;
  char *data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  auto cert = std::make_shared<DtlsCertificate>();
  cert->pem.assign(data, len);
  cert->fingerprint = fingerprint_of(x509.get());
  cert->key_type = describe_key(key.get());
  return cert;
}

void
free_cert_holder(gpointer data, GClosure *) {
  delete static_cast<DtlsCertificatePtr *>(data);
}

/* webrtcbin's deep-element-added, on the thread adding the element (its
 * own operation thread when it makes a transport): give each new
 * dtlssrtpdec our certificate before anything reads its `pem`. */
void
on_element_added(GstBin *, GstBin *, GstElement *element, gpointer data) {
  GstElementFactory *f = gst_element_get_factory(element);
  if (!f || g_strcmp0(GST_OBJECT_NAME(f), "dtlssrtpdec") != 0)
    return;
  const auto &cert = *static_cast<DtlsCertificatePtr *>(data);
  g_object_set(element, "pem", cert->pem.c_str(), nullptr);
  GST_DEBUG_OBJECT(element, "DTLS certificate %s, fingerprint sha-256 %s",
      cert->key_type.c_str(), cert->fingerprint.c_str());
}

const char *const kCertKey = "gws-dtls-certificate";

} // namespace

DtlsCertificatePtr
dtls_certificate_from_pem(const char *pem, GError **error) {
  init_debug();
  if (!pem || !*pem) {
    g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "certificate: empty (a PEM certificate and its private key are "
        "needed)");
    return nullptr;
  }
  BioPtr bio(BIO_new_mem_buf(pem, -1));
  X509Ptr x509(PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr));
  if (!x509) {
    ERR_clear_error();
    g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "certificate: no X.509 certificate found (expected a \"-----BEGIN "
        "CERTIFICATE-----\" block in PEM)");
    return nullptr;
  }
  (void)BIO_reset(bio.get());
  PkeyPtr key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  if (!key) {
    ERR_clear_error();
    bool encrypted = strstr(pem, "ENCRYPTED") != nullptr;
    g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "certificate: %s",
        encrypted ? "the private key is encrypted; give it unencrypted "
                    "(openssl pkey -in KEY)"
                  : "no private key found (append the certificate's key, "
                    "\"-----BEGIN PRIVATE KEY-----\", to the PEM)");
    return nullptr;
  }
  if (X509_check_private_key(x509.get(), key.get()) != 1) {
    ERR_clear_error();
    g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "certificate: the private key does not belong to the certificate");
    return nullptr;
  }
  auto cert = std::make_shared<DtlsCertificate>();
  cert->pem = pem;
  cert->fingerprint = fingerprint_of(x509.get());
  cert->key_type = describe_key(key.get());
  return cert;
}

DtlsCertificatePtr
dtls_default_certificate() {
  init_debug();
  static std::once_flag once;
  static DtlsCertificatePtr cert;
  std::call_once(once, [] {
    gint64 t0 = g_get_monotonic_time();
    cert = generate_ecdsa();
    if (!cert)
      g_error("gst-webrtc-session: OpenSSL could not make an ECDSA P-256 "
              "key%s",
          openssl_error().c_str());
    GST_INFO(
        "process DTLS certificate: %s, sha-256 %s, made in %" G_GINT64_FORMAT
        " us",
        cert->key_type.c_str(), cert->fingerprint.c_str(),
        g_get_monotonic_time() - t0);
  });
  return cert;
}

void
dtls_certificate_apply(GstElement *webrtcbin, DtlsCertificatePtr cert) {
  if (!cert)
    cert = dtls_default_certificate();
  g_object_set_data_full(G_OBJECT(webrtcbin), kCertKey,
      new DtlsCertificatePtr(cert),
      [](gpointer p) { delete static_cast<DtlsCertificatePtr *>(p); });
  g_signal_connect_data(webrtcbin, "deep-element-added",
      G_CALLBACK(on_element_added), new DtlsCertificatePtr(cert),
      free_cert_holder, static_cast<GConnectFlags>(0));
}

guint
dtls_certificate_fix_sdp(GstSDPMessage *sdp, const DtlsCertificate &cert) {
  std::string value = "sha-256 " + cert.fingerprint;
  guint fixed = 0;
  auto fix = [&](const GstSDPAttribute *a) {
    return a && g_strcmp0(a->key, "fingerprint") == 0
           && g_strcmp0(a->value, value.c_str()) != 0;
  };
  for (guint i = 0; i < gst_sdp_message_attributes_len(sdp); i++) {
    if (!fix(gst_sdp_message_get_attribute(sdp, i)))
      continue;
    GstSDPAttribute attr;
    gst_sdp_attribute_set(&attr, "fingerprint", value.c_str());
    gst_sdp_message_replace_attribute(sdp, i, &attr);
    fixed++;
  }
  for (guint m = 0; m < gst_sdp_message_medias_len(sdp); m++) {
    auto *media = const_cast<GstSDPMedia *>(gst_sdp_message_get_media(sdp, m));
    for (guint i = 0; i < gst_sdp_media_attributes_len(media); i++) {
      if (!fix(gst_sdp_media_get_attribute(media, i)))
        continue;
      GstSDPAttribute attr;
      gst_sdp_attribute_set(&attr, "fingerprint", value.c_str());
      gst_sdp_media_replace_attribute(media, i, &attr);
      fixed++;
    }
  }
  return fixed;
}

guint
dtls_certificate_fix_description(
    GstElement *webrtcbin, GstWebRTCSessionDescription *desc) {
  auto *cert = static_cast<DtlsCertificatePtr *>(
      g_object_get_data(G_OBJECT(webrtcbin), kCertKey));
  if (!cert || !*cert || !desc || !desc->sdp)
    return 0;
  guint n = dtls_certificate_fix_sdp(desc->sdp, **cert);
  if (n)
    GST_LOG_OBJECT(webrtcbin,
        "%u a=fingerprint line(s) set to the certificate's (webrtcbin 1.22 "
        "hashes the private key too)",
        n);
  return n;
}

} // namespace gws
