/* gst-webrtc-session: the signaller interface.
 *
 * Separates the webrtcsink/webrtcsrc bins from signalling protocols. A
 * signaller moves session descriptions and ICE candidates between this
 * process and remote peers; the bins own the peer connections. Any GObject
 * implementing this interface can be handed to a bin's `signaller` property,
 * so applications (and, through GObject introspection, Python) can add
 * protocols. docs/signaller.md describes the contract for implementers.
 *
 * Threading: methods may be called from any thread and must not block;
 * signals may be emitted from the signaller's own thread. Handlers must not
 * call back into the signaller with a lock of their own held. */
#pragma once

#include <glib-object.h>
#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

G_BEGIN_DECLS

/**
 * GwsSignallerRole:
 * @GWS_SIGNALLER_ROLE_PRODUCER: publishes media (webrtcsink); peers ask it
 *   for sessions and it offers.
 * @GWS_SIGNALLER_ROLE_CONSUMER: receives media (webrtcsrc); it asks a
 *   producer for a session and answers its offer.
 */
typedef enum {
  GWS_SIGNALLER_ROLE_PRODUCER,
  GWS_SIGNALLER_ROLE_CONSUMER,
} GwsSignallerRole;

GType gws_signaller_role_get_type(void);
#define GWS_TYPE_SIGNALLER_ROLE (gws_signaller_role_get_type())

#define GWS_TYPE_SIGNALLER (gws_signaller_get_type())
G_DECLARE_INTERFACE(GwsSignaller, gws_signaller, GWS, SIGNALLER, GObject)

/**
 * GwsSignallerInterface:
 * @start: connect and register; report failure through the "error" signal.
 * @stop: end every session and disconnect.
 * @send_sdp: send our offer or answer for a session.
 * @add_ice: send a local ICE candidate; @candidate NULL means gathering is
 *   complete for the session (protocols that need all candidates at once,
 *   like a WHEP server's answer, wait for it).
 * @end_session: end one session (the remote side is told).
 * @end_session_with_reason: optional; end one session and tell the remote
 *   side why (a server answers a refused client with it). Without it,
 *   gws_signaller_end_session_with_reason() calls @end_session.
 * @supports_role: (nullable): whether the type can work in @role. A
 *   protocol that only goes one way (a WHIP client publishes, a WHIP server
 *   receives) says so here, and the bins refuse it in the other role at
 *   once, naming the element it belongs on. %NULL: both roles.
 *
 * Every implementation also has the interface property "role"
 * (GwsSignallerRole, construct-only) set by the bin that creates it, and
 * "uri" (string) when it was made from a URI, and the read-only
 * capabilities below ("session-restarts", "consumer-offers",
 * "accepts-sessions": booleans, default FALSE; "ice-servers": GStrv,
 * default NULL). An implementation overrides each one
 * (g_object_class_override_property(), answering FALSE/NULL or its value in
 * get_property) or installs a read-only property of the same name and type
 * with its own default and blurb; from Python, declare a GObject.Property
 * of that name. docs/signaller.md "Capabilities".
 */
struct _GwsSignallerInterface {
  GTypeInterface parent_iface;

  void (*start)(GwsSignaller *self);
  void (*stop)(GwsSignaller *self);
  void (*send_sdp)(GwsSignaller *self, const gchar *session_id,
      const GstWebRTCSessionDescription *sdp);
  void (*add_ice)(GwsSignaller *self, const gchar *session_id,
      const gchar *candidate, guint mline_index, const gchar *mid);
  void (*end_session)(GwsSignaller *self, const gchar *session_id);
  void (*end_session_with_reason)(
      GwsSignaller *self, const gchar *session_id, const gchar *reason);
  gboolean (*supports_role)(GwsSignallerRole role);

  gpointer padding[6];
};

void gws_signaller_start(GwsSignaller *self);
void gws_signaller_stop(GwsSignaller *self);
void gws_signaller_send_sdp(GwsSignaller *self, const gchar *session_id,
    const GstWebRTCSessionDescription *sdp);
/**
 * gws_signaller_add_ice:
 * @self: the signaller
 * @session_id: the session
 * @candidate: (nullable): the candidate line; %NULL when gathering is done
 * @mline_index: the media line it belongs to
 * @mid: (nullable): the media id, when known
 */
void gws_signaller_add_ice(GwsSignaller *self, const gchar *session_id,
    const gchar *candidate, guint mline_index, const gchar *mid);
void gws_signaller_end_session(GwsSignaller *self, const gchar *session_id);
/**
 * gws_signaller_end_session_with_reason:
 * @self: the signaller
 * @session_id: the session
 * @reason: (nullable): why, for the remote side (e.g. "no common video
 *   codec: it offers H264, we accept VP8")
 */
void gws_signaller_end_session_with_reason(
    GwsSignaller *self, const gchar *session_id, const gchar *reason);

/* Signal emitters, for implementations. Signals (all run-last):
 *
 * "session-requested" (gchar *session_id, gchar *peer_id,
 *     GstWebRTCSessionDescription *offer or NULL)
 *   Producer side: a peer wants our media. Create a peer connection and
 *   send an offer, or answer @offer when the peer offered first.
 * "session-started" (gchar *session_id, gchar *peer_id)
 *   Consumer side: the session we asked for exists; an offer will follow
 *   through "session-description".
 * "session-description" (gchar *session_id, GstWebRTCSessionDescription *)
 *   The remote offer or answer.
 * "handle-ice" (gchar *session_id, guint mline_index, gchar *mid or NULL,
 *     gchar *candidate)
 *   A remote ICE candidate (may arrive before the description: buffer it).
 * "session-ended" (gchar *session_id, gchar *reason or NULL)
 *   The remote side ended the session, or the signaller lost it for good.
 *   Not emitted just because the signalling connection dropped: sessions
 *   already established keep their media flowing without it.
 * "error" (gchar *message), detailed: "error::fatal", "error::retrying"
 *   or "error::unavailable"
 *   Something the user can act on. Fatal: the signaller cannot go on
 *   (token refused, id taken). Retrying: it keeps trying (relay
 *   unreachable). Unavailable: what it needs is not there yet (producer
 *   not found, endpoint refused); it stopped, and the bin may start it
 *   again (gws_signaller_emit_unavailable()). Sessions already running may
 *   keep flowing. The message is fit for a user.
 * "connection-changed" (gboolean connected)
 *   The signalling channel went up (and we are registered) or down.
 *   Reconnecting is the signaller's business.
 */
/**
 * gws_signaller_emit_session_requested:
 * @self: the signaller
 * @session_id: the new session
 * @peer_id: the peer asking for it
 * @offer: (nullable): the peer's offer, when it offered first
 */
void gws_signaller_emit_session_requested(GwsSignaller *self,
    const gchar *session_id, const gchar *peer_id,
    const GstWebRTCSessionDescription *offer);
void gws_signaller_emit_session_started(
    GwsSignaller *self, const gchar *session_id, const gchar *peer_id);
void gws_signaller_emit_session_description(GwsSignaller *self,
    const gchar *session_id, const GstWebRTCSessionDescription *desc);
/**
 * gws_signaller_emit_handle_ice:
 * @self: the signaller
 * @session_id: the session
 * @mline_index: the media line
 * @mid: (nullable): the media id, when the remote side sent one
 * @candidate: the candidate line
 */
void gws_signaller_emit_handle_ice(GwsSignaller *self, const gchar *session_id,
    guint mline_index, const gchar *mid, const gchar *candidate);
/**
 * gws_signaller_emit_session_ended:
 * @self: the signaller
 * @session_id: the session
 * @reason: (nullable): why, when known
 */
void gws_signaller_emit_session_ended(
    GwsSignaller *self, const gchar *session_id, const gchar *reason);
void gws_signaller_emit_error(GwsSignaller *self, const gchar *message);
void gws_signaller_emit_connection_changed(
    GwsSignaller *self, gboolean connected);

/* Errors of gws_signaller_new_for_uri(). */
#define GWS_SIGNALLER_ERROR (gws_signaller_error_quark())
GQuark gws_signaller_error_quark(void);

/**
 * GwsSignallerError:
 * @GWS_SIGNALLER_ERROR_BAD_URI: the string is not an absolute URI.
 * @GWS_SIGNALLER_ERROR_UNKNOWN_SCHEME: no signaller is registered for the
 *   URI's scheme.
 * @GWS_SIGNALLER_ERROR_WRONG_ROLE: the URI's signaller cannot work in the
 *   role asked for (e.g. whip-server:// on webrtcsink); the message names
 *   the element it belongs on.
 */
typedef enum {
  GWS_SIGNALLER_ERROR_BAD_URI,
  GWS_SIGNALLER_ERROR_UNKNOWN_SCHEME,
  GWS_SIGNALLER_ERROR_WRONG_ROLE,
} GwsSignallerError;

/* "error" is a detailed signal. gws_signaller_emit_error() emits it with the
 * detail "fatal": the signaller has given up (token refused, id taken,
 * producer not found) and the bin should fail. gws_signaller_emit_error_full()
 * with @fatal FALSE emits it with the detail "retrying": the user should
 * know (the relay is unreachable) but the signaller keeps trying, so the bin
 * should warn and go on. Connect to "error::fatal" / "error::retrying" to
 * tell them apart; a plain "error" handler receives both. */
void gws_signaller_emit_error_full(
    GwsSignaller *self, const gchar *message, gboolean fatal);

/**
 * gws_signaller_emit_unavailable:
 * @self: the signaller
 * @message: what is missing, fit for a user ("producer \"cam1\" not found
 *   at ws://...", "could not reach the WHIP endpoint http://...: ...")
 *
 * Emits "error" with the detail "unavailable": what the signaller needs at
 * start is not there (yet): the producer asked for, the endpoint (refused,
 * unreachable, 404, 503). The signaller has stopped, as after a fatal
 * error; the bins apply their start-order policy (`wait-timeout`): start
 * it again after a backoff, or fail. A handler of plain "error" or of
 * "error::fatal"-only sees it as an error.
 */
void gws_signaller_emit_unavailable(GwsSignaller *self, const gchar *message);

GwsSignallerRole gws_signaller_get_role(GwsSignaller *self);

/* The capabilities, read from the interface properties. */
gboolean gws_signaller_get_session_restarts(GwsSignaller *self);
gboolean gws_signaller_get_consumer_offers(GwsSignaller *self);
gboolean gws_signaller_get_accepts_sessions(GwsSignaller *self);
/**
 * gws_signaller_dup_announced_ice_servers:
 * @self: the signaller
 *
 * Returns: (transfer full) (nullable) (array zero-terminated=1): the
 *   "ice-servers" the remote end announced, or %NULL (none, or the
 *   property is writable: a server's list of what it announces, which the
 *   bins do not use for their own side)
 */
gchar **gws_signaller_dup_announced_ice_servers(GwsSignaller *self);

/**
 * gws_signaller_type_supports_role:
 * @type: a type implementing #GwsSignaller
 * @role: producer or consumer
 *
 * Returns: whether @type can work in @role (its supports_role, or %TRUE
 *   when it has none)
 */
gboolean gws_signaller_type_supports_role(GType type, GwsSignallerRole role);

/**
 * gws_signaller_check_role:
 * @self: a signaller
 * @role: the role of the bin it is given to
 *
 * Returns: (transfer full) (nullable): %NULL when @self fits @role, else a
 *   message for the user naming the element @self belongs on
 */
gchar *gws_signaller_check_role(GwsSignaller *self, GwsSignallerRole role);

/* Protocols by URI scheme: implementations register their GType for one or
 * more schemes ("ws", "wss", ...); the bins make a signaller from their `uri`
 * property with gws_signaller_new_for_uri(). The type must have "uri" and
 * "role" properties. */
void gws_signaller_register_scheme(const gchar *scheme, GType type);

/**
 * gws_signaller_new_for_uri:
 * @uri: e.g. "ws://127.0.0.1:8443/?peer-id=cam1"
 * @role: producer or consumer
 * @error: a #GWS_SIGNALLER_ERROR when @uri is not an absolute URI or no
 *   signaller is registered for its scheme
 *
 * Returns: (transfer full): a new signaller for @uri, or %NULL
 */
GwsSignaller *gws_signaller_new_for_uri(
    const gchar *uri, GwsSignallerRole role, GError **error);
/**
 * gws_signaller_type_for_uri:
 * @uri: e.g. "whep+http://127.0.0.1:8081/whep"
 * @role: producer or consumer
 * @error: as for gws_signaller_new_for_uri()
 *
 * What gws_signaller_new_for_uri() would make, without making it.
 *
 * Returns: the signaller type for @uri in @role, or %G_TYPE_INVALID
 */
GType gws_signaller_type_for_uri(
    const gchar *uri, GwsSignallerRole role, GError **error);
/**
 * gws_signaller_list_schemes_for_role:
 * @role: producer or consumer
 *
 * Returns: (transfer full) (array zero-terminated=1): the registered
 *   schemes whose signaller works in @role, sorted (g_strfreev() them)
 */
gchar **gws_signaller_list_schemes_for_role(GwsSignallerRole role);
/* The schemes of the protocols built into this library: "ws" and "wss"
 * (GwsWsSignaller). Idempotent; never replaces a scheme registered before.
 * The plugin calls it from plugin_init; gws_signaller_new_for_uri() calls it
 * too. */
void gws_signaller_register_builtin(void);
/**
 * gws_signaller_list_schemes:
 *
 * Returns: (transfer full) (array zero-terminated=1): the registered
 *   schemes, sorted (g_strfreev() them)
 */
gchar **gws_signaller_list_schemes(void);

G_END_DECLS
