/* gst-webrtc-session: the WHEP client signaller (see gws-whep-client.h).
 * The protocol lives in gws::whip::Client (whip-client.h), shared with the
 * WHIP client; this type is its GObject face. */
#include "gws-whep-client.h"

#include "whip-client.h"

#include <memory>

struct GwsWhepClientPrivate {
  std::shared_ptr<gws::whip::Client> core;
};

struct _GwsWhepClient {
  GObject parent;
  GwsWhepClientPrivate *priv;
};

static void gws_whep_client_iface_init(GwsSignallerInterface *iface);

G_DEFINE_TYPE_WITH_CODE(GwsWhepClient, gws_whep_client, G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE(GWS_TYPE_SIGNALLER, gws_whep_client_iface_init))

static gws::whip::Client &
core(GwsSignaller *s) {
  return *GWS_WHEP_CLIENT(s)->priv->core;
}

static void
gws_whep_client_iface_init(GwsSignallerInterface *iface) {
  iface->supports_role = [](GwsSignallerRole role) -> gboolean {
    return role == GWS_SIGNALLER_ROLE_CONSUMER;
  };
  iface->start = [](GwsSignaller *s) { core(s).start(); };
  iface->stop = [](GwsSignaller *s) { core(s).stop(); };
  iface->send_sdp = [](GwsSignaller *s, const gchar *sid,
                        const GstWebRTCSessionDescription *sdp) {
    core(s).send_sdp(sid, sdp);
  };
  iface->add_ice
      = [](GwsSignaller *s, const gchar *sid, const gchar *cand, guint mline,
            const gchar *mid) { core(s).add_ice(sid, cand, mline, mid); };
  iface->end_session
      = [](GwsSignaller *s, const gchar *sid) { core(s).end_session(sid); };
}

static void
gws_whep_client_init(GwsWhepClient *self) {
  self->priv = new GwsWhepClientPrivate;
  self->priv->core = std::make_shared<gws::whip::Client>(
      GWS_SIGNALLER(self), gws::whip::Protocol::Whep);
}

static void
gws_whep_client_set_property(
    GObject *object, guint id, const GValue *value, GParamSpec *pspec) {
  if (id >= gws::whip::CLIENT_N_PROPS) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    return;
  }
  core(GWS_SIGNALLER(object)).set_property(id, value, pspec);
}

static void
gws_whep_client_get_property(
    GObject *object, guint id, GValue *value, GParamSpec *pspec) {
  if (id >= gws::whip::CLIENT_N_PROPS) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    return;
  }
  core(GWS_SIGNALLER(object)).get_property(id, value, pspec);
}

static void
gws_whep_client_dispose(GObject *object) {
  auto *priv = GWS_WHEP_CLIENT(object)->priv;
  if (priv->core)
    priv->core->dispose();
  G_OBJECT_CLASS(gws_whep_client_parent_class)->dispose(object);
}

static void
gws_whep_client_finalize(GObject *object) {
  delete GWS_WHEP_CLIENT(object)->priv;
  G_OBJECT_CLASS(gws_whep_client_parent_class)->finalize(object);
}

static void
gws_whep_client_class_init(GwsWhepClientClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  gobject_class->set_property = gws_whep_client_set_property;
  gobject_class->get_property = gws_whep_client_get_property;
  gobject_class->dispose = gws_whep_client_dispose;
  gobject_class->finalize = gws_whep_client_finalize;
  gws::whip::Client::install_properties(
      gobject_class, gws::whip::Protocol::Whep);
}
