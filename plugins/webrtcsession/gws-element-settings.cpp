/* gst-webrtc-session: shared element settings (see gws-element-settings.h).
 */
#include "gws-element-settings.h"

#include "gws-debug.h"
#include "gws-codecs.h"
#include "gws-network-check.h"
#include "gws-restart.h"

GWS_DEBUG_CATEGORY(gws_settings_debug, "gws-settings",
    "webrtcsink/webrtcsrc shared properties")
#define GST_CAT_DEFAULT gws_settings_debug()

namespace gws {

ElementSettings::ElementSettings(GwsSignallerRole r) : role(r) {
  g_value_init(&video_codecs, GST_TYPE_ARRAY);
  g_value_init(&audio_codecs, GST_TYPE_ARRAY);
  g_value_init(&turn_servers, GST_TYPE_ARRAY);
  g_value_init(&data_channels, GST_TYPE_ARRAY);
  GError *err = nullptr;
  signaller = gws_signaller_new_for_uri(DEFAULT_URI, role, &err);
  if (err) {
    uri_error = err->message;
    g_clear_error(&err);
  }
}

ElementSettings::~ElementSettings() {
  g_value_unset(&video_codecs);
  g_value_unset(&audio_codecs);
  g_value_unset(&turn_servers);
  g_value_unset(&data_channels);
  if (signaller)
    g_object_unref(signaller);
}

GwsSignaller *
ElementSettings::ref_signaller() {
  std::lock_guard<std::mutex> g(lock);
  return signaller ? GWS_SIGNALLER(g_object_ref(signaller)) : nullptr;
}

bool
ElementSettings::ask_signaller(bool (*question)(GObject *signaller)) {
  GwsSignaller *sig = ref_signaller();
  bool answer = question(G_OBJECT(sig));
  if (sig)
    g_object_unref(sig);
  return answer;
}

bool
ElementSettings::signaller_carries_restarts() {
  return ask_signaller(gws::signaller_carries_restarts);
}

bool
ElementSettings::signaller_carries_renegotiations() {
  return ask_signaller(gws::signaller_carries_renegotiations);
}

void
ElementSettings::check_ice_addresses(GstElement *element) {
  apply_ice_address_check(element, lock, ice);
}

std::string
ElementSettings::certificate_error() {
  std::lock_guard<std::mutex> g(lock);
  return certificate_error_;
}

std::string
ElementSettings::missing_signaller_reason() {
  GwsSignaller *sig = nullptr;
  {
    std::lock_guard<std::mutex> g(lock);
    if (!signaller)
      return "no signaller: "
             + (uri_error.empty()
                     ? std::string("set the uri or signaller property")
                     : uri_error);
    sig = GWS_SIGNALLER(g_object_ref(signaller));
  }
  /* A signaller set by the application may be for the other direction. */
  gchar *wrong = gws_signaller_check_role(sig, role);
  g_object_unref(sig);
  std::string out = wrong ? wrong : "";
  g_free(wrong);
  return out;
}

bool
ElementSettings::set_common(
    GObject *element, guint prop_id, const GValue *value) {
  switch (prop_id) {
    case PROP_URI: {
      const gchar *u = g_value_get_string(value);
      GError *err = nullptr;
      GwsSignaller *sig
          = u ? gws_signaller_new_for_uri(u, role, &err) : nullptr;
      GwsSignaller *old = nullptr;
      {
        std::lock_guard<std::mutex> g(lock);
        uri = u ? u : "";
        uri_error
            = err ? std::string("uri ") + (u ? u : "") + ": " + err->message
                  : std::string();
        old = signaller;
        signaller = sig;
      }
      /* Outside the lock: the last reference joins the signaller's
       * thread. */
      if (old)
        g_object_unref(old);
      if (err) {
        GST_WARNING_OBJECT(element, "%s", err->message);
        g_clear_error(&err);
      }
      g_object_notify(element, "signaller");
      return true;
    }
    case PROP_SIGNALLER: {
      GObject *obj = G_OBJECT(g_value_dup_object(value));
      GwsSignaller *old = nullptr;
      {
        std::lock_guard<std::mutex> g(lock);
        old = signaller;
        signaller = obj ? GWS_SIGNALLER(obj) : nullptr;
        uri_error.clear();
      }
      if (old)
        g_object_unref(old); /* outside the lock, as above */
      return true;
    }
    case PROP_VIDEO_CODECS:
    case PROP_AUDIO_CODECS: {
      MediaKind kind
          = prop_id == PROP_VIDEO_CODECS ? MediaKind::Video : MediaKind::Audio;
      std::vector<std::string> rejected;
      codecs_from_value(value, kind, &rejected);
      for (const auto &r : rejected)
        GST_WARNING_OBJECT(element, "ignoring unknown %s codec '%s'",
            media_kind_name(kind), r.c_str());
      std::lock_guard<std::mutex> g(lock);
      g_value_copy(
          value, prop_id == PROP_VIDEO_CODECS ? &video_codecs : &audio_codecs);
      return true;
    }
    case PROP_ICE_ADDRESSES: {
      std::lock_guard<std::mutex> g(lock);
      ice.addresses = split_addresses(g_value_get_string(value));
      return true;
    }
    case PROP_STUN_SERVER: {
      const gchar *s = g_value_get_string(value);
      std::lock_guard<std::mutex> g(lock);
      ice.stun_server = s ? s : "";
      return true;
    }
    case PROP_TURN_SERVERS: {
      std::lock_guard<std::mutex> g(lock);
      g_value_copy(value, &turn_servers);
      ice.turn_servers.clear();
      for (guint i = 0; i < gst_value_array_get_size(value); i++) {
        const GValue *v = gst_value_array_get_value(value, i);
        if (G_VALUE_HOLDS_STRING(v) && g_value_get_string(v))
          ice.turn_servers.emplace_back(g_value_get_string(v));
      }
      return true;
    }
    case PROP_PATH_TIMEOUT: {
      std::lock_guard<std::mutex> g(lock);
      restart.path_timeout_ms = g_value_get_uint(value);
      return true;
    }
    case PROP_AUTO_RESTART: {
      std::lock_guard<std::mutex> g(lock);
      restart.auto_restart = g_value_get_boolean(value);
      return true;
    }
    case PROP_MAX_RESTART_FAILURES: {
      std::lock_guard<std::mutex> g(lock);
      restart.max_failures = g_value_get_uint(value);
      return true;
    }
    case PROP_WAIT_TIMEOUT: {
      std::lock_guard<std::mutex> g(lock);
      wait_timeout_s = g_value_get_int(value);
      return true;
    }
    case PROP_DO_RETRANSMISSION: {
      std::lock_guard<std::mutex> g(lock);
      loss.retransmission = g_value_get_boolean(value);
      return true;
    }
    case PROP_DO_FEC: {
      std::lock_guard<std::mutex> g(lock);
      loss.fec = g_value_get_boolean(value);
      return true;
    }
    case PROP_DATA_CHANNELS: {
      std::vector<ChannelSpec> specs;
      std::string error;
      if (!parse_channel_specs(value, &specs, &error)) {
        /* Kept as it was: a setter cannot fail otherwise. */
        g_warning("%s: data-channels not changed: %s",
            GST_OBJECT_NAME(GST_OBJECT(element)), error.c_str());
        return true;
      }
      std::lock_guard<std::mutex> g(lock);
      g_value_copy(value, &data_channels);
      channel_specs = std::move(specs);
      return true;
    }
    case PROP_CERTIFICATE: {
      const gchar *pem = g_value_get_string(value);
      g_autoptr(GError) err = nullptr;
      DtlsCertificatePtr cert
          = pem && *pem ? dtls_certificate_from_pem(pem, &err) : nullptr;
      if (err)
        GST_WARNING_OBJECT(element, "%s", err->message);
      else if (cert)
        GST_INFO_OBJECT(element, "DTLS certificate %s, sha-256 %s",
            cert->key_type.c_str(), cert->fingerprint.c_str());
      std::lock_guard<std::mutex> g(lock);
      certificate_pem = pem ? pem : "";
      certificate_error_ = err ? err->message : "";
      ice.certificate = cert;
      return true;
    }
    default:
      return false;
  }
}

bool
ElementSettings::get_common(guint prop_id, GValue *value) {
  if (prop_id == PROP_URI) {
    /* The signaller's own uri, which signaller::uri may have changed. */
    GwsSignaller *sig = ref_signaller();
    gchar *u = nullptr;
    if (sig && g_object_class_find_property(G_OBJECT_GET_CLASS(sig), "uri"))
      g_object_get(sig, "uri", &u, nullptr);
    if (sig)
      g_object_unref(sig);
    if (u) {
      g_value_take_string(value, u);
    } else {
      std::lock_guard<std::mutex> g(lock);
      g_value_set_string(value, uri.c_str());
    }
    return true;
  }
  std::lock_guard<std::mutex> g(lock);
  switch (prop_id) {
    case PROP_SIGNALLER:
      g_value_set_object(value, signaller);
      return true;
    case PROP_VIDEO_CODECS:
      g_value_copy(&video_codecs, value);
      return true;
    case PROP_AUDIO_CODECS:
      g_value_copy(&audio_codecs, value);
      return true;
    case PROP_ICE_ADDRESSES:
      g_value_set_string(value, join_addresses(ice.addresses).c_str());
      return true;
    case PROP_STUN_SERVER:
      g_value_set_string(
          value, ice.stun_server.empty() ? nullptr : ice.stun_server.c_str());
      return true;
    case PROP_TURN_SERVERS:
      g_value_copy(&turn_servers, value);
      return true;
    case PROP_PATH_TIMEOUT:
      g_value_set_uint(value, restart.path_timeout_ms);
      return true;
    case PROP_AUTO_RESTART:
      g_value_set_boolean(value, restart.auto_restart);
      return true;
    case PROP_MAX_RESTART_FAILURES:
      g_value_set_uint(value, restart.max_failures);
      return true;
    case PROP_WAIT_TIMEOUT:
      g_value_set_int(value, wait_timeout_s);
      return true;
    case PROP_DO_RETRANSMISSION:
      g_value_set_boolean(value, loss.retransmission);
      return true;
    case PROP_DO_FEC:
      g_value_set_boolean(value, loss.fec);
      return true;
    case PROP_DATA_CHANNELS:
      g_value_copy(&data_channels, value);
      return true;
    case PROP_CERTIFICATE:
      g_value_set_string(
          value, certificate_pem.empty() ? nullptr : certificate_pem.c_str());
      return true;
    default:
      return false;
  }
}

namespace {

/* "ws, wss: GwsWsSignaller (peer-id, ...); ..." for the schemes usable in
 * @role: types in registry order, each with its schemes and, when
 * @properties, its writable properties but role and uri, else its
 * capabilities that are TRUE by default ("[session-restarts]"). */
std::string
describe_signallers(GwsSignallerRole role, bool properties) {
  g_auto(GStrv) schemes = gws_signaller_list_schemes_for_role(role);
  std::vector<std::pair<GType, std::string>> types;
  for (guint i = 0; schemes[i]; i++) {
    std::string uri = std::string(schemes[i]) + "://x/";
    GType t = gws_signaller_type_for_uri(uri.c_str(), role, nullptr);
    if (t == G_TYPE_INVALID)
      continue;
    bool found = false;
    for (auto &entry : types) {
      if (entry.first == t) {
        entry.second += std::string(", ") + schemes[i] + "://";
        found = true;
      }
    }
    if (!found)
      types.emplace_back(t, std::string(schemes[i]) + "://");
  }
  std::string out;
  for (const auto &entry : types) {
    if (!out.empty())
      out += "; ";
    out += entry.second + " " + g_type_name(entry.first);
    GObjectClass *oc = G_OBJECT_CLASS(g_type_class_ref(entry.first));
    if (!properties) {
      /* Its capabilities (GwsSignaller interface properties) that are TRUE
       * by default: what the protocol can do. */
      std::string caps;
      for (const char *cap :
          {"session-restarts", "consumer-offers", "accepts-sessions"}) {
        GParamSpec *p = g_object_class_find_property(oc, cap);
        GParamSpec *own = p ? g_param_spec_get_redirect_target(p) : nullptr;
        p = own ? own : p;
        if (p && G_IS_PARAM_SPEC_BOOLEAN(p)
            && G_PARAM_SPEC_BOOLEAN(p)->default_value)
          caps += (caps.empty() ? "" : ", ") + std::string(cap);
      }
      if (!caps.empty())
        out += " [" + caps + "]";
      g_type_class_unref(oc);
      continue;
    }
    guint n = 0;
    GParamSpec **specs = g_object_class_list_properties(oc, &n);
    std::string names;
    for (guint i = 0; i < n; i++) {
      const char *name = g_param_spec_get_name(specs[i]);
      if (!(specs[i]->flags & G_PARAM_WRITABLE) || g_str_equal(name, "role")
          || g_str_equal(name, "uri"))
        continue;
      names += (names.empty() ? "" : ", ") + std::string(name);
    }
    g_free(specs);
    g_type_class_unref(oc);
    out += " (" + (names.empty() ? std::string("none") : names) + ")";
  }
  return out;
}

} // namespace

void
install_common_properties(GObjectClass *klass, const CommonBlurbs &text) {
  /* Interned: a blurb must live as long as its class. */
  const char *uri_blurb
      = g_intern_string((std::string(text.uri) + ". Schemes here: "
                         + describe_signallers(text.role, false)
                         + " (see the signaller property for their settings)")
                            .c_str());
  const char *signaller_blurb
      = g_intern_string((std::string(text.signaller)
                         + ". Settable as signaller::NAME=VALUE, by scheme: "
                         + describe_signallers(text.role, true))
                            .c_str());
  const auto rw = static_cast<GParamFlags>(
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  /* ICE settings may change while running, as setConfiguration() before an
   * ICE restart: they apply to the next connection (a restart). */
  const auto rw_live = static_cast<GParamFlags>(
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  const auto elem_flags
      = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_property(klass, PROP_URI,
      g_param_spec_string("uri", "Signalling URI", uri_blurb, DEFAULT_URI, rw));
  g_object_class_install_property(klass, PROP_SIGNALLER,
      g_param_spec_object(
          "signaller", "Signaller", signaller_blurb, GWS_TYPE_SIGNALLER, rw));
  g_object_class_install_property(klass, PROP_VIDEO_CODECS,
      gst_param_spec_array("video-codecs", "Video codecs", text.video_codecs,
          g_param_spec_string(
              "codec", "Codec", "A video codec name", nullptr, elem_flags),
          rw));
  g_object_class_install_property(klass, PROP_AUDIO_CODECS,
      gst_param_spec_array("audio-codecs", "Audio codecs", text.audio_codecs,
          g_param_spec_string(
              "codec", "Codec", "An audio codec name", nullptr, elem_flags),
          rw));
  g_object_class_install_property(klass, PROP_ICE_ADDRESSES,
      g_param_spec_string("ice-addresses", "ICE addresses",
          "Comma-separated local IP addresses ICE may use, e.g. "
          "\"192.168.1.10\" on a multi-homed box or \"127.0.0.1\" for "
          "loopback (which ICE skips unless listed). Empty: all interfaces "
          "(and 127.0.0.1 on a machine with no other, with a warning). "
          "A change applies to the next connection (a restart)",
          nullptr, rw_live));
  g_object_class_install_property(klass, PROP_STUN_SERVER,
      g_param_spec_string("stun-server", "STUN server",
          "STUN server as stun://host:port. None by default: nothing is "
          "contacted on the internet unless configured",
          nullptr, rw_live));
  g_object_class_install_property(klass, PROP_TURN_SERVERS,
      gst_param_spec_array("turn-servers", "TURN servers",
          "TURN servers as turn(s)://user:password@host:port, e.g. "
          "\"<\\\"turn://u:p@turn.lan:3478\\\">\". None by default",
          g_param_spec_string(
              "turn-server", "TURN server", "A TURN URI", nullptr, elem_flags),
          rw_live));
  g_object_class_install_property(klass, PROP_STATS,
      g_param_spec_boxed("stats", "Statistics", text.stats, GST_TYPE_STRUCTURE,
          static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
  restart_install_properties(
      klass, PROP_PATH_TIMEOUT, PROP_AUTO_RESTART, PROP_MAX_RESTART_FAILURES);
  g_object_class_install_property(klass, PROP_WAIT_TIMEOUT,
      g_param_spec_int("wait-timeout", "Wait timeout",
          "Seconds to wait at start for what is missing, so things can be "
          "started in any order: the signalling server (relay, WHIP/WHEP "
          "endpoint: refused, unreachable, 404, 503) and, for webrtcsrc, the "
          "producer. Retried with backoff (0.5 s doubling to 5 s) after one "
          "warning naming what is awaited; then an error. 0: fail at once; "
          "-1: wait for ever",
          -1, G_MAXINT, 60, rw));
  loss_recovery_install_properties(klass, PROP_DO_RETRANSMISSION, PROP_DO_FEC);
  g_object_class_install_property(klass, PROP_DATA_CHANNELS,
      gst_param_spec_array("data-channels", "Data channels",
          "Data channels to open on every session, e.g. "
          "<\"chat\", \"telemetry,ordered=false,max-retransmits=0\">: each "
          "a label, or a label with options ordered (boolean, default true), "
          "max-retransmits or max-packet-lifetime (ms; either makes it "
          "unreliable), protocol (string). Channels the peer opens are "
          "taken too. Send with the send-data-string / send-data-bytes "
          "action signals, receive with data-received",
          g_param_spec_string("channel", "Channel",
              "A label, or label,option=value,...", nullptr, elem_flags),
          rw));
  g_object_class_install_property(klass, PROP_CERTIFICATE,
      g_param_spec_string("certificate", "DTLS certificate",
          "The DTLS certificate and its private key, in PEM (e.g. the "
          "contents of `cat cert.pem key.pem`), used by every connection, "
          "so peers can pin its fingerprint. Unset: one ECDSA P-256 "
          "certificate made when the process first needs it. A PEM that "
          "cannot be used makes the element fail to start, saying why. A "
          "change applies to the next connection",
          nullptr, rw_live));
}

/* ---- GstChildProxy: "signaller::prop=value" ----
 *
 * The signaller comes first (index 0, name "signaller"), then the bin's
 * own children as GstBin lists them, so gst_child_proxy_get_child_by_name()
 * and "child::prop" lookups still find those. */

namespace {

/* GstBin's implementation (both elements are bins). */
GstChildProxyInterface *bin_child_proxy = nullptr;

GObject *
ref_signaller_child(GstChildProxy *proxy) {
  GObject *sig = nullptr;
  g_object_get(proxy, "signaller", &sig, nullptr);
  return sig; /* transfer full */
}

GObject *
child_by_name(GstChildProxy *proxy, const gchar *name) {
  if (g_strcmp0(name, "signaller") == 0)
    return ref_signaller_child(proxy);
  return bin_child_proxy->get_child_by_name(proxy, name);
}

GObject *
child_by_index(GstChildProxy *proxy, guint index) {
  GObject *sig = ref_signaller_child(proxy);
  if (sig) {
    if (index == 0)
      return sig;
    g_object_unref(sig);
    index--;
  }
  return bin_child_proxy->get_child_by_index(proxy, index);
}

guint
children_count(GstChildProxy *proxy) {
  GObject *sig = ref_signaller_child(proxy);
  guint n = bin_child_proxy->get_children_count(proxy);
  if (!sig)
    return n;
  g_object_unref(sig);
  return n + 1;
}

} // namespace

void
signaller_child_proxy_init(GstChildProxyInterface *iface) {
  bin_child_proxy = static_cast<GstChildProxyInterface *>(
      g_type_interface_peek_parent(iface));
  iface->get_child_by_name = child_by_name;
  iface->get_child_by_index = child_by_index;
  iface->get_children_count = children_count;
}

} // namespace gws
