/* gst-webrtc-session: the process's RSA key for webrtcbin, from a per-user
 * cache (see gws-dtls-key-cache.h). */
/* RSA_METHOD is deprecated in OpenSSL 3 but is the only hook into the key
 * generation dtlsdec does with RSA_generate_key_ex(). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "gws-dtls-key-cache.h"

#include <gst/gst.h>

#include <glib/gstdio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <mutex>
#include <string>
#include <unistd.h>

GST_DEBUG_CATEGORY_STATIC(gws_dtls_key_debug);
#define GST_CAT_DEFAULT gws_dtls_key_debug

namespace gws {

namespace {

constexpr int kBits = 2048; /* what dtlsdec 1.22 asks for */

/* Set only on the thread inside make_process_dtls_agent(), around its
 * dtlsdec creation: the keygen below serves that thread alone. */
thread_local bool serving = false;
/* The key to serve (loaded from the cache), or nullptr: generate and
 * store. Only the serving thread reads or writes these. */
RSA *cached_key = nullptr;
bool served_from_cache = false;
RSA *generated_key = nullptr; /* a copy of a key made here, to store */

std::string
cache_path() {
  g_autofree gchar *p = g_build_filename(g_get_user_cache_dir(),
      "gst-webrtc-session", "dtls-rsa-2048.pem", nullptr);
  return p;
}

/* True when @path is ours alone: owned by this user, no access for group
 * or others. */
bool
private_file(const std::string &path, bool dir) {
  GStatBuf st;
  if (g_stat(path.c_str(), &st) != 0)
    return false;
  if (st.st_uid != getuid() || (st.st_mode & 077) != 0)
    return false;
  return dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode);
}

/* n = p * q: a cheap check that the file holds one whole key
 * (RSA_check_key() tests the primes, ~0.1 s, as long as making one). */
bool
consistent(const RSA *rsa) {
  const BIGNUM *n, *p, *q;
  RSA_get0_key(rsa, &n, nullptr, nullptr);
  RSA_get0_factors(rsa, &p, &q);
  if (!n || !p || !q || !RSA_get0_d(rsa) || !RSA_get0_iqmp(rsa))
    return false;
  BN_CTX *ctx = BN_CTX_new();
  BIGNUM *pq = BN_new();
  bool ok = ctx && pq && BN_mul(pq, p, q, ctx) && BN_cmp(pq, n) == 0;
  BN_free(pq);
  BN_CTX_free(ctx);
  return ok;
}

RSA *
load_cached_key() {
  std::string path = cache_path();
  g_autofree gchar *dir = g_path_get_dirname(path.c_str());
  if (!g_file_test(path.c_str(), G_FILE_TEST_EXISTS))
    return nullptr;
  if (!private_file(dir, true) || !private_file(path, false)) {
    GST_WARNING("%s: not private to this user (0600 in a 0700 directory); "
                "not used",
        path.c_str());
    return nullptr;
  }
  gchar *data = nullptr;
  gsize len = 0;
  if (!g_file_get_contents(path.c_str(), &data, &len, nullptr))
    return nullptr;
  BIO *bio = BIO_new_mem_buf(data, static_cast<int>(len));
  RSA *rsa = PEM_read_bio_RSAPrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  g_free(data);
  ERR_clear_error();
  if (rsa && (RSA_bits(rsa) != kBits || !consistent(rsa))) {
    GST_WARNING("%s: not a valid RSA-%d key; not used", path.c_str(), kBits);
    RSA_free(rsa);
    ERR_clear_error();
    return nullptr;
  }
  return rsa;
}

void
store_key(const RSA *rsa) {
  std::string path = cache_path();
  g_autofree gchar *dir = g_path_get_dirname(path.c_str());
  if (g_mkdir_with_parents(dir, 0700) != 0 || !private_file(dir, true)) {
    GST_INFO("%s: cannot make a private directory; the key is not kept", dir);
    return;
  }
  BIO *bio = BIO_new(BIO_s_mem());
  if (!PEM_write_bio_RSAPrivateKey(
          bio, const_cast<RSA *>(rsa), nullptr, nullptr, 0, nullptr, nullptr)) {
    BIO_free(bio);
    ERR_clear_error();
    return;
  }
  char *data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  g_autoptr(GError) err = nullptr;
  /* Written to a temporary file made 0600, then renamed into place. */
  if (!g_file_set_contents_full(
          path.c_str(), data, len, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &err))
    GST_INFO("%s: %s; the key is not kept", path.c_str(), err->message);
  else
    GST_INFO(
        "kept the process DTLS key in %s for the next process", path.c_str());
  BIO_free(bio);
}

/* Moves copies of @from's numbers into @to. */
bool
copy_key(const RSA *from, RSA *to) {
  const BIGNUM *n, *e, *d, *p, *q, *dmp1, *dmq1, *iqmp;
  RSA_get0_key(from, &n, &e, &d);
  RSA_get0_factors(from, &p, &q);
  RSA_get0_crt_params(from, &dmp1, &dmq1, &iqmp);
  return RSA_set0_key(to, BN_dup(n), BN_dup(e), BN_dup(d))
         && RSA_set0_factors(to, BN_dup(p), BN_dup(q))
         && RSA_set0_crt_params(to, BN_dup(dmp1), BN_dup(dmq1), BN_dup(iqmp));
}

/* OpenSSL's own generation, into @rsa (whose method is ours). */
int
builtin_keygen(RSA *rsa, int bits, BIGNUM *e, BN_GENCB *cb) {
  RSA *tmp = RSA_new();
  if (!tmp)
    return 0;
  RSA_set_method(tmp, RSA_PKCS1_OpenSSL());
  int ok = RSA_generate_key_ex(tmp, bits, e, cb) && copy_key(tmp, rsa);
  RSA_free(tmp);
  return ok;
}

int
caching_keygen(RSA *rsa, int bits, BIGNUM *e, BN_GENCB *cb) {
  if (!serving)
    return builtin_keygen(rsa, bits, e, cb);
  serving = false; /* one key per process */
  if (cached_key && bits == kBits && BN_cmp(e, RSA_get0_e(cached_key)) == 0) {
    served_from_cache = copy_key(cached_key, rsa);
    if (served_from_cache)
      return 1;
  }
  if (!builtin_keygen(rsa, bits, e, cb))
    return 0;
  if (bits == kBits) {
    generated_key = RSA_new();
    if (generated_key) {
      RSA_set_method(generated_key, RSA_PKCS1_OpenSSL());
      if (!copy_key(rsa, generated_key)) {
        RSA_free(generated_key);
        generated_key = nullptr;
      }
    }
  }
  return 1;
}

} // namespace

bool
make_process_dtls_agent() {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(gws_dtls_key_debug, "gws-dtls-key", 0,
        "gst-webrtc-session cached DTLS key");
    g_once_init_leave(&once, 1);
  }
  /* Serialises callers: the method switch below is process-wide. A
   * deliberate exception to "nothing called out with a lock held": the
   * dtlsdec must be created and dropped while the switch is in place, and
   * another caller must not see it half done. Nothing it calls takes this
   * lock, and no thread is joined under it. */
  static std::mutex lock;
  std::lock_guard<std::mutex> guard(lock);

  const gchar *env = g_getenv("GWS_DTLS_KEY_CACHE");
  bool use_cache = !env || g_strcmp0(env, "0") != 0;
  gint64 t0 = g_get_monotonic_time();
  RSA_METHOD *method = nullptr;
  const RSA_METHOD *before = nullptr;
  if (use_cache) {
    cached_key = load_cached_key();
    GST_DEBUG(
        "cache read in %" G_GINT64_FORMAT " us", g_get_monotonic_time() - t0);
    /* Never freed (kept reachable here): an RSA object made while it is
     * the default keeps a pointer to it for its life. */
    static RSA_METHOD *kept = nullptr;
    if (!kept)
      kept = RSA_meth_dup(RSA_PKCS1_OpenSSL());
    method = kept;
    if (method) {
      RSA_meth_set_keygen(method, caching_keygen);
      RSA_meth_set_multi_prime_keygen(method, nullptr);
      before = RSA_get_default_method();
      RSA_set_default_method(method);
      serving = true;
    }
  }
  GstElement *dtls = gst_element_factory_make("dtlsdec", nullptr);
  if (method) {
    serving = false;
    RSA_set_default_method(before);
  }
  if (dtls)
    gst_object_unref(gst_object_ref_sink(dtls));
  bool from_cache = served_from_cache;
  if (generated_key) {
    /* After the dtlsdec exists, so nobody waits for the disk. */
    store_key(generated_key);
    RSA_free(generated_key);
    generated_key = nullptr;
  }
  if (cached_key) {
    RSA_free(cached_key);
    cached_key = nullptr;
  }
  GST_INFO("process DTLS agent ready in %" G_GINT64_FORMAT " us (%s)",
      g_get_monotonic_time() - t0,
      from_cache  ? "RSA key from the cache"
      : use_cache ? "RSA key generated"
                  : "RSA key generated, cache off");
  return from_cache;
}

} // namespace gws
