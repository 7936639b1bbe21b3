/* gst-webrtc-session: the WHIP server signaller (see gws-whip-server.h).
 * The protocol lives in gws::whip::Server (whip-server.h), shared with the
 * WHEP server; this type is its GObject face. */
#include "gws-whip-server.h"

#include "whip-server.h"

#include <memory>

struct GwsWhipServerPrivate {
  std::shared_ptr<gws::whip::Server> core;
};

struct _GwsWhipServer {
  GObject parent;
  GwsWhipServerPrivate *priv;
};

static void gws_whip_server_iface_init(GwsSignallerInterface *iface);

G_DEFINE_TYPE_WITH_CODE(GwsWhipServer, gws_whip_server, G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE(GWS_TYPE_SIGNALLER, gws_whip_server_iface_init))

static gws::whip::Server &
core(GwsSignaller *s) {
  return *GWS_WHIP_SERVER(s)->priv->core;
}

static void
gws_whip_server_iface_init(GwsSignallerInterface *iface) {
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
  iface->end_session_with_reason
      = [](GwsSignaller *s, const gchar *sid, const gchar *reason) {
          core(s).end_session(sid, reason);
        };
}

static void
gws_whip_server_init(GwsWhipServer *self) {
  self->priv = new GwsWhipServerPrivate;
  self->priv->core = std::make_shared<gws::whip::Server>(
      GWS_SIGNALLER(self), gws::whip::Protocol::Whip);
}

static void
gws_whip_server_set_property(
    GObject *object, guint id, const GValue *value, GParamSpec *pspec) {
  if (id >= gws::whip::SERVER_N_PROPS) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    return;
  }
  core(GWS_SIGNALLER(object)).set_property(id, value, pspec);
}

static void
gws_whip_server_get_property(
    GObject *object, guint id, GValue *value, GParamSpec *pspec) {
  if (id >= gws::whip::SERVER_N_PROPS) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    return;
  }
  core(GWS_SIGNALLER(object)).get_property(id, value, pspec);
}

static void
gws_whip_server_dispose(GObject *object) {
  auto *priv = GWS_WHIP_SERVER(object)->priv;
  if (priv->core)
    priv->core->dispose();
  G_OBJECT_CLASS(gws_whip_server_parent_class)->dispose(object);
}

static void
gws_whip_server_finalize(GObject *object) {
  delete GWS_WHIP_SERVER(object)->priv;
  G_OBJECT_CLASS(gws_whip_server_parent_class)->finalize(object);
}

static void
gws_whip_server_class_init(GwsWhipServerClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  gobject_class->set_property = gws_whip_server_set_property;
  gobject_class->get_property = gws_whip_server_get_property;
  gobject_class->dispose = gws_whip_server_dispose;
  gobject_class->finalize = gws_whip_server_finalize;
  gws::whip::Server::install_properties(
      gobject_class, gws::whip::Protocol::Whip);
}
