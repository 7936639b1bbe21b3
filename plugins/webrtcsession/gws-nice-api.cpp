/* gst-webrtc-session: libnice resolved at run time (see gws-nice-api.h). */
#include "gws-nice-api.h"

#include "gws-debug.h"

#include <gmodule.h>
#include <gst/gst.h>

GWS_DEBUG_CATEGORY(gws_nice_api_debug, "gws-nice-api",
    "libnice functions resolved at run time")
#define GST_CAT_DEFAULT gws_nice_api_debug()

namespace gws {

namespace {

/* libnice's soname: ABI 10 since 0.1.0 (Debian's libnice10). */
constexpr const char *kLibnice = "libnice.so.10";

template <typename F>
bool
resolve(GModule *module, const char *name, F *out) {
  gpointer sym = nullptr;
  if (!g_module_symbol(module, name, &sym) || !sym) {
    GST_ERROR("%s has no %s: %s", kLibnice, name, g_module_error());
    return false;
  }
  *out = reinterpret_cast<F>(sym);
  return true;
}

const NiceApi *
load() {
  gint64 t0 = g_get_monotonic_time();
  /* Stays loaded for the life of the process (webrtcbin's plugin holds it
   * too); G_MODULE_BIND_LOCAL keeps its symbols out of the global scope,
   * as when GStreamer loads it with a plugin. */
  GModule *module = g_module_open(
      kLibnice, GModuleFlags(G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL));
  if (!module) {
    GST_ERROR("could not load %s: %s", kLibnice, g_module_error());
    return nullptr;
  }
  g_module_make_resident(module);
  static NiceApi api;
  bool ok = resolve(module, "nice_agent_get_type", &api.agent_get_type)
            && resolve(module, "nice_agent_add_local_address",
                &api.agent_add_local_address)
            && resolve(module, "nice_agent_get_selected_pair",
                &api.agent_get_selected_pair)
            && resolve(module, "nice_agent_get_selected_socket",
                &api.agent_get_selected_socket)
            && resolve(module, "nice_address_init", &api.address_init)
            && resolve(module, "nice_address_set_from_string",
                &api.address_set_from_string)
            && resolve(module, "nice_address_to_string", &api.address_to_string)
            && resolve(module, "nice_address_get_port", &api.address_get_port)
            && resolve(module, "nice_address_equal", &api.address_equal)
            && resolve(module, "nice_candidate_relay_address",
                &api.candidate_relay_address);
  GST_DEBUG("%s %s in %" G_GINT64_FORMAT " us", kLibnice,
      ok ? "resolved" : "incomplete", g_get_monotonic_time() - t0);
  return ok ? &api : nullptr;
}

} // namespace

const NiceApi *
nice_api() {
  static const NiceApi *api = load(); /* thread-safe once */
  return api;
}

bool
is_nice_agent(gpointer object) {
  const NiceApi *api = nice_api();
  return api && object
         && G_TYPE_CHECK_INSTANCE_TYPE(object, api->agent_get_type());
}

NiceAgent *
ice_nice_agent(GObject *ice) {
  NiceAgent *agent = nullptr;
  if (ice && g_object_class_find_property(G_OBJECT_GET_CLASS(ice), "agent"))
    g_object_get(ice, "agent", &agent, nullptr);
  return agent;
}

NiceAgent *
webrtcbin_nice_agent(GstElement *webrtcbin) {
  GObject *ice = nullptr;
  g_object_get(webrtcbin, "ice-agent", &ice, nullptr);
  NiceAgent *agent = ice_nice_agent(ice);
  g_clear_object(&ice);
  return agent;
}

} // namespace gws
