/* gst-webrtc-session: the WHIP client signaller (see gws-whip-client.h).
 * The protocol lives in gws::whip::Client (whip-client.h), shared with the
 * WHEP client; this type is its GObject face. */
#include "gws-whip-client.h"

#include "whip-client.h"

#include <memory>

struct GwsWhipClientPrivate {
  std::shared_ptr<gws::whip::Client> core;
};

struct _GwsWhipClient {
  GObject parent;
  GwsWhipClientPrivate *priv;
};

static void gws_whip_client_iface_init(GwsSignallerInterface *iface);

G_DEFINE_TYPE_WITH_CODE(GwsWhipClient, gws_whip_client, G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE(GWS_TYPE_SIGNALLER, gws_whip_client_iface_init))

static gws::whip::Client &
core(GwsSignaller *s) {
  return *GWS_WHIP_CLIENT(s)->priv->core;
}

static void
gws_whip_client_iface_init(GwsSignallerInterface *iface) {
  iface->supports_role = [](GwsSignallerRole role) -> gboolean {
    return role == GWS_SIGNALLER_ROLE_PRODUCER;
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
gws_whip_client_init(GwsWhipClient *self) {
  self->priv = new GwsWhipClientPrivate;
  self->priv->core = std::make_shared<gws::whip::Client>(
      GWS_SIGNALLER(self), gws::whip::Protocol::Whip);
}

static void
gws_whip_client_set_property(
    GObject *object, guint id, const GValue *value, GParamSpec *pspec) {
  if (id >= gws::whip::CLIENT_N_PROPS) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    return;
  }
  core(GWS_SIGNALLER(object)).set_property(id, value, pspec);
}

static void
gws_whip_client_get_property(
    GObject *object, guint id, GValue *value, GParamSpec *pspec) {
  if (id >= gws::whip::CLIENT_N_PROPS) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    return;
  }
  core(GWS_SIGNALLER(object)).get_property(id, value, pspec);
}

static void
gws_whip_client_dispose(GObject *object) {
  auto *priv = GWS_WHIP_CLIENT(object)->priv;
  if (priv->core)
    priv->core->dispose();
  G_OBJECT_CLASS(gws_whip_client_parent_class)->dispose(object);
}

static void
gws_whip_client_finalize(GObject *object) {
  delete GWS_WHIP_CLIENT(object)->priv;
  G_OBJECT_CLASS(gws_whip_client_parent_class)->finalize(object);
}

static void
gws_whip_client_class_init(GwsWhipClientClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  gobject_class->set_property = gws_whip_client_set_property;
  gobject_class->get_property = gws_whip_client_get_property;
  gobject_class->dispose = gws_whip_client_dispose;
  gobject_class->finalize = gws_whip_client_finalize;
  gws::whip::Client::install_properties(
      gobject_class, gws::whip::Protocol::Whip);
}
