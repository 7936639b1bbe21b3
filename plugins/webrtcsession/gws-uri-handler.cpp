/* gst-webrtc-session: GstURIHandler (see gws-uri-handler.h). */
#include "gws-uri-handler.h"

#include "gws-signaller.h"

namespace gws {

namespace {

/* The protocols, read once: GStreamer's registry keeps them per factory
 * when the plugin registers the elements (plugin_init registers the
 * schemes first). Never freed: the interface needs them for ever. */
const gchar *const *
protocols_for(GwsSignallerRole role) {
  static gchar **lists[2] = {nullptr, nullptr};
  static gsize done[2] = {0, 0};
  if (g_once_init_enter(&done[role])) {
    lists[role] = gws_signaller_list_schemes_for_role(role);
    g_once_init_leave(&done[role], 1);
  }
  return lists[role];
}

gchar *
get_uri(GstURIHandler *handler) {
  gchar *uri = nullptr;
  g_object_get(handler, "uri", &uri, nullptr);
  return uri;
}

gboolean
set_uri(GstURIHandler *handler, const gchar *uri, GwsSignallerRole role,
    GError **error) {
  if (GST_STATE(handler) > GST_STATE_READY) {
    g_set_error(error, GST_URI_ERROR, GST_URI_ERROR_BAD_STATE,
        "the URI can only be changed in the NULL or READY state");
    return FALSE;
  }
  GError *why = nullptr;
  if (gws_signaller_type_for_uri(uri, role, &why) == G_TYPE_INVALID) {
    g_set_error(error, GST_URI_ERROR,
        why->code == GWS_SIGNALLER_ERROR_BAD_URI
            ? GST_URI_ERROR_BAD_URI
            : GST_URI_ERROR_UNSUPPORTED_PROTOCOL,
        "%s", why->message);
    g_error_free(why);
    return FALSE;
  }
  g_object_set(handler, "uri", uri, nullptr);
  return TRUE;
}

} // namespace

void
uri_handler_init_sink(gpointer g_iface, gpointer) {
  auto *iface = static_cast<GstURIHandlerInterface *>(g_iface);
  iface->get_type = [](GType) { return GST_URI_SINK; };
  iface->get_protocols
      = [](GType) { return protocols_for(GWS_SIGNALLER_ROLE_PRODUCER); };
  iface->get_uri = get_uri;
  iface->set_uri
      = [](GstURIHandler *h, const gchar *uri, GError **error) -> gboolean {
    return set_uri(h, uri, GWS_SIGNALLER_ROLE_PRODUCER, error);
  };
}

void
uri_handler_init_src(gpointer g_iface, gpointer) {
  auto *iface = static_cast<GstURIHandlerInterface *>(g_iface);
  iface->get_type = [](GType) { return GST_URI_SRC; };
  iface->get_protocols
      = [](GType) { return protocols_for(GWS_SIGNALLER_ROLE_CONSUMER); };
  iface->get_uri = get_uri;
  iface->set_uri
      = [](GstURIHandler *h, const gchar *uri, GError **error) -> gboolean {
    return set_uri(h, uri, GWS_SIGNALLER_ROLE_CONSUMER, error);
  };
}

} // namespace gws
