/* gst-webrtc-session: ICE and transport settings (see gws-ice.h). */
#include "gws-ice.h"

#include "gws-fast-start.h"

#include "gws-debug.h"
#include "gws-candidate-stats.h"
#include "gws-signaller.h"
#include "gws-srtp-crypto.h"
#include "gws-dtls-key-cache.h"

#include <gst/webrtc/webrtc.h>
#include <gio/gio.h>
#include "gws-nice-api.h"

#include <condition_variable>
#include <mutex>

GWS_DEBUG_CATEGORY(gws_ice_debug, "gws-ice",
    "ICE settings: STUN/TURN servers, local addresses")
#define GST_CAT_DEFAULT gws_ice_debug()

namespace gws {

std::vector<std::string>
split_addresses(const char *list) {
  std::vector<std::string> out;
  if (!list)
    return out;
  g_auto(GStrv) parts = g_strsplit(list, ",", -1);
  for (guint i = 0; parts[i]; i++) {
    g_autofree gchar *item = g_strstrip(g_strdup(parts[i]));
    if (*item)
      out.emplace_back(item);
  }
  return out;
}

std::string
join_addresses(const std::vector<std::string> &addresses) {
  std::string out;
  for (const auto &a : addresses) {
    if (!out.empty())
      out += ",";
    out += a;
  }
  return out;
}

guint
ice_config_add_servers(IceConfig &ice, const std::vector<std::string> &urls) {
  guint taken = 0;
  for (const auto &url : urls) {
    g_autofree gchar *scheme = g_uri_parse_scheme(url.c_str());
    if (!scheme)
      continue;
    g_autofree gchar *lower = g_ascii_strdown(scheme, -1);
    if (g_str_equal(lower, "stun")) {
      if (ice.stun_server.empty()) {
        ice.stun_server = url;
        taken++;
      }
    } else if (g_str_equal(lower, "turn") || g_str_equal(lower, "turns")) {
      bool known = false;
      for (const auto &t : ice.turn_servers)
        known = known || t == url;
      if (!known) {
        ice.turn_servers.push_back(url);
        taken++;
      }
    } else {
      GST_DEBUG("ICE server %s: webrtcbin takes stun://, turn:// and "
                "turns:// only; skipped",
          url.c_str());
    }
  }
  return taken;
}

void
ice_config_add_signaller_servers(IceConfig &ice, GObject *signaller) {
  if (!GWS_IS_SIGNALLER(signaller))
    return;
  g_auto(GStrv) servers
      = gws_signaller_dup_announced_ice_servers(GWS_SIGNALLER(signaller));
  if (!servers)
    return;
  std::vector<std::string> urls(servers, servers + g_strv_length(servers));
  guint taken = ice_config_add_servers(ice, urls);
  GST_INFO_OBJECT(signaller,
      "%u of %zu ICE server(s) announced by the remote end applied "
      "(STUN: %s, %zu TURN)",
      taken, urls.size(),
      ice.stun_server.empty() ? "none" : ice.stun_server.c_str(),
      ice.turn_servers.size());
}

static bool
add_local_addresses(GstElement *webrtcbin,
    const std::vector<std::string> &addresses, GError **error) {
  if (addresses.empty())
    return true;
  GObject *ice = nullptr;
  g_object_get(webrtcbin, "ice-agent", &ice, nullptr);
  if (!ice) {
    g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_FAILED,
        "webrtcbin has no ICE agent");
    return false;
  }
  /* The webrtcbin keeps its agent, but hold our own reference for as long
   * as the webrtcbin lives, as recommended for 1.22. */
  g_object_set_data_full(
      G_OBJECT(webrtcbin), "gws-ice-agent", ice, g_object_unref);
  if (!g_object_class_find_property(G_OBJECT_GET_CLASS(ice), "agent")) {
    g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_FAILED,
        "the ICE agent of webrtcbin is not libnice: ice-addresses cannot be "
        "applied");
    return false;
  }
  const NiceApi *nice = nice_api();
  if (!nice) {
    g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "libnice could not be loaded: ice-addresses cannot be applied");
    return false;
  }
  NiceAgent *agent = nullptr;
  g_object_get(ice, "agent", &agent, nullptr);
  if (!agent) {
    g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_FAILED,
        "webrtcbin's ICE agent has no NiceAgent");
    return false;
  }
  bool ok = true;
  for (const auto &a : addresses) {
    NiceAddress addr;
    nice->address_init(&addr);
    if (!nice->address_set_from_string(&addr, a.c_str())) {
      g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
          "ice-addresses: '%s' is not an IP address", a.c_str());
      ok = false;
      break;
    }
    nice->agent_add_local_address(agent, &addr);
  }
  g_object_unref(agent);
  return ok;
}

/* The selected candidate pair for `stats` (gws-candidate-stats.h). */
static void
watch_selected_pair(
    GstElement *webrtcbin, const std::vector<std::string> &turn_servers) {
  NiceAgent *agent = webrtcbin_nice_agent(webrtcbin);
  if (agent)
    candidate_stats_watch(webrtcbin, G_OBJECT(agent), turn_servers);
  g_clear_object(&agent);
}

/* libnice's UPnP IGD client (on by default when libnice is built with
 * gupnp-igd, as Debian's is) sends SSDP searches to 239.255.255.250:1900
 * on every interface for every connection and asks the router for port
 * mappings; its sockets and timers outlive the agent by seconds (a
 * publisher's connection left ~16 descriptors behind). WebRTC does not
 * need it (browsers do not use it; STUN and TURN find the way out), so it
 * is off on every agent we make. */
static void
disable_upnp(GstElement *webrtcbin) {
  NiceAgent *agent = webrtcbin_nice_agent(webrtcbin);
  if (agent && g_object_class_find_property(G_OBJECT_GET_CLASS(agent), "upnp"))
    g_object_set(agent, "upnp", FALSE, nullptr);
  g_clear_object(&agent);
}

GstElement *
make_webrtcbin(const char *name, const IceConfig &ice, GError **error) {
  /* Before anything of ours can load the srtp plugin (gws-srtp-crypto.h):
   * waits if the warm-up thread is opening the context right now. */
  srtp_crypto_hold();
  GstElement *webrtc = gst_element_factory_make("webrtcbin", name);
  if (!webrtc) {
    g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "webrtcbin is not installed (gstreamer1.0-plugins-bad and "
        "gstreamer1.0-nice are needed)");
    return nullptr;
  }
  g_object_set(
      webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, nullptr);
  if (!ice.stun_server.empty())
    g_object_set(webrtc, "stun-server", ice.stun_server.c_str(), nullptr);
  for (const auto &turn : ice.turn_servers) {
    gboolean added = FALSE;
    g_signal_emit_by_name(webrtc, "add-turn-server", turn.c_str(), &added);
    if (!added)
      GST_WARNING_OBJECT(webrtc, "TURN server %s refused", turn.c_str());
    std::string host;
    guint port = 0;
    if (added && turn_url_protocol(turn, &host, &port) == "tls")
      GST_WARNING_OBJECT(webrtc,
          "TURN server %s:%u (turns://): libnice reaches it over plain TCP, "
          "without TLS; it works only if the server also accepts plain TURN "
          "on its TLS port (coturn does)",
          host.c_str(), port);
  }
  static const std::vector<std::string> loopback{"127.0.0.1"};
  const auto &addresses = ice.addresses.empty() && ice.loopback_fallback
                              ? loopback
                              : ice.addresses;
  if (!add_local_addresses(webrtc, addresses, error)) {
    gst_object_unref(gst_object_ref_sink(webrtc));
    return nullptr;
  }
  disable_upnp(webrtc);
  fast_start_tune_ice(webrtc); /* gws-fast-start.h */
  watch_selected_pair(webrtc, ice.turn_servers);
  dtls_certificate_apply(webrtc, ice.certificate);
  return webrtc;
}

namespace {

/* Guards the three below; never held while joining. Every caller of
 * finish_dtls_warm_up() returns only once the thread is gone: one joins
 * it, the others wait for `joining` to end on warm_up_joined. */
std::mutex warm_up_lock;
std::condition_variable warm_up_joined;
GThread *warm_up_thread = nullptr;
bool warmed_up = false;
bool joining = false;

} // namespace

void
warm_up_dtls() {
  std::lock_guard<std::mutex> guard(warm_up_lock);
  if (warmed_up || warm_up_thread)
    return;
  warm_up_thread = g_thread_new(
      "gws-dtls-warm-up",
      [](gpointer) -> gpointer {
        /* dtlsdec makes the process-wide default certificate when
         * created (gws-dtls-key-cache.h). */
        make_process_dtls_agent();
        fast_start_preload_transport(); /* gws-fast-start.h */
        return nullptr;
      },
      nullptr);
}

void
finish_dtls_warm_up() {
  GThread *thread;
  {
    std::unique_lock<std::mutex> guard(warm_up_lock);
    if (joining) {
      warm_up_joined.wait(guard, [] { return !joining; });
      return;
    }
    thread = warm_up_thread;
    if (!thread)
      return;
    warm_up_thread = nullptr;
    warmed_up = true; /* no second warm-up */
    joining = true;
  }
  g_thread_join(thread);
  {
    std::lock_guard<std::mutex> guard(warm_up_lock);
    joining = false;
  }
  warm_up_joined.notify_all();
}

} // namespace gws
