/* gst-webrtc-session: the signaller interface and the scheme registry.
 * See gws-signaller.h and docs/signaller.md. */
#include "gws-signaller.h"

#include "gws-ws-signaller.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <string>

GST_DEBUG_CATEGORY_STATIC(gws_signaller_debug);
#define GST_CAT_DEFAULT gws_signaller_debug

namespace {

enum {
  SIGNAL_SESSION_REQUESTED,
  SIGNAL_SESSION_STARTED,
  SIGNAL_SESSION_DESCRIPTION,
  SIGNAL_HANDLE_ICE,
  SIGNAL_SESSION_ENDED,
  SIGNAL_ERROR,
  SIGNAL_CONNECTION_CHANGED,
  N_SIGNALS,
};

guint signals[N_SIGNALS];
GQuark quark_fatal;
GQuark quark_retrying;
GQuark quark_unavailable;

/* The scheme registry. Leaf lock: nothing is called with it held. */
std::mutex registry_lock;
std::map<std::string, GType> &
registry() {
  static auto *map = new std::map<std::string, GType>;
  return *map;
}

std::string
lower(const gchar *s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
      [](unsigned char c) { return g_ascii_tolower(c); });
  return out;
}

std::string
known_schemes() {
  std::string out;
  std::lock_guard<std::mutex> lock(registry_lock);
  for (const auto &entry : registry()) {
    if (!out.empty())
      out += ", ";
    out += entry.first;
  }
  return out.empty() ? "none" : out;
}

/* The element each role belongs to, and what it does, for messages. */
const char *
role_element(GwsSignallerRole role) {
  return role == GWS_SIGNALLER_ROLE_PRODUCER ? "webrtcsink" : "webrtcsrc";
}

const char *
role_action(GwsSignallerRole role) {
  return role == GWS_SIGNALLER_ROLE_PRODUCER ? "publishes media"
                                             : "receives media";
}

GwsSignallerRole
other_role(GwsSignallerRole role) {
  return role == GWS_SIGNALLER_ROLE_PRODUCER ? GWS_SIGNALLER_ROLE_CONSUMER
                                             : GWS_SIGNALLER_ROLE_PRODUCER;
}

/* "whep-server://, ws://, ...": the registered schemes usable in @role. */
std::string
schemes_for_role(GwsSignallerRole role) {
  std::map<std::string, GType> copy;
  {
    std::lock_guard<std::mutex> lock(registry_lock);
    copy = registry();
  }
  std::string out;
  for (const auto &entry : copy) {
    if (!gws_signaller_type_supports_role(entry.second, role))
      continue;
    if (!out.empty())
      out += ", ";
    out += entry.first + "://";
  }
  return out.empty() ? "none" : out;
}

} // namespace

GQuark
gws_signaller_error_quark(void) {
  return g_quark_from_static_string("gws-signaller-error-quark");
}

GType
gws_signaller_role_get_type(void) {
  static gsize type = 0;
  if (g_once_init_enter(&type)) {
    static const GEnumValue values[] = {
        {GWS_SIGNALLER_ROLE_PRODUCER, "GWS_SIGNALLER_ROLE_PRODUCER",
            "producer"},
        {GWS_SIGNALLER_ROLE_CONSUMER, "GWS_SIGNALLER_ROLE_CONSUMER",
            "consumer"},
        {0, nullptr, nullptr},
    };
    GType t = g_enum_register_static("GwsSignallerRole", values);
    g_once_init_leave(&type, t);
  }
  return type;
}

G_DEFINE_INTERFACE(GwsSignaller, gws_signaller, G_TYPE_OBJECT)

static void
gws_signaller_default_init(GwsSignallerInterface *iface) {
  GST_DEBUG_CATEGORY_INIT(
      gws_signaller_debug, "webrtc-signaller", 0, "WebRTC signaller interface");
  quark_fatal = g_quark_from_static_string("fatal");
  quark_retrying = g_quark_from_static_string("retrying");
  quark_unavailable = g_quark_from_static_string("unavailable");

  /**
   * GwsSignaller:role:
   *
   * Producer (webrtcsink: offers media) or consumer (webrtcsrc: asks a
   * producer for media). Set once by the bin that makes the signaller.
   */
  g_object_interface_install_property(iface,
      g_param_spec_enum("role", "Role",
          "Producer (publishes media, as in webrtcsink) or consumer "
          "(receives media, as in webrtcsrc)",
          GWS_TYPE_SIGNALLER_ROLE, GWS_SIGNALLER_ROLE_PRODUCER,
          static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY
                                   | G_PARAM_STATIC_STRINGS)));

  /**
   * GwsSignaller:uri:
   *
   * Where and how to signal, e.g. ws://127.0.0.1:8443/?peer-id=cam1.
   */
  g_object_interface_install_property(
      iface, g_param_spec_string("uri", "URI",
                 "Signalling server URI; its scheme selects the protocol "
                 "(e.g. ws://127.0.0.1:8443/?peer-id=cam1)",
                 nullptr,
                 static_cast<GParamFlags>(
                     G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)));

  /* Capabilities: read-only, so gst-inspect shows what a protocol can do
   * and the bins read them without looking names up. An implementation
   * overrides each (g_object_class_override_property) or installs its own
   * read-only property of the same name and type (for its own default and
   * blurb). docs/signaller.md "Capabilities". */
  auto ro = static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GwsSignaller:session-restarts:
   *
   * TRUE when the protocol carries a session restart (a new offer in a
   * running session, docs/protocol.md). The bins restart a session whose
   * path died only through a signaller that says so.
   */
  g_object_interface_install_property(iface,
      g_param_spec_boolean("session-restarts", "Session restarts",
          "TRUE: this protocol carries session restarts (a new offer in a "
          "running session); the elements restart a dead session only "
          "through signallers that say so",
          FALSE, ro));

  /**
   * GwsSignaller:consumer-offers:
   *
   * TRUE when the consumer makes the offer (WHEP): webrtcsrc creates a
   * recvonly offer at #GwsSignaller::session-started and takes the answer
   * from #GwsSignaller::session-description. FALSE: the producer offers.
   */
  g_object_interface_install_property(iface,
      g_param_spec_boolean("consumer-offers", "Consumer offers",
          "TRUE: the consumer makes the offer (webrtcsrc offers recvonly at "
          "session-started); FALSE: the producer offers",
          FALSE, ro));

  /**
   * GwsSignaller:accepts-sessions:
   *
   * TRUE for a server: clients come and go over the element's life, so a
   * failed or ended session is that client's, not the element's (the
   * element warns and stays up).
   */
  g_object_interface_install_property(iface,
      g_param_spec_boolean("accepts-sessions", "Accepts sessions",
          "TRUE: a server that clients come to and leave; a failed session "
          "is that client's (a warning), not the element's error",
          FALSE, ro));

  /**
   * GwsSignaller:ice-servers:
   *
   * STUN/TURN servers (webrtcbin's form: stun://host:port,
   * turn://user:password@host:port) the remote end announced for this
   * signaller's sessions; the bins add them to the next peer connection.
   * A server that announces servers to its clients makes the property
   * writable (what it announces): the bins use only a read-only one.
   */
  g_object_interface_install_property(iface,
      g_param_spec_boxed("ice-servers", "ICE servers",
          "STUN/TURN servers the remote end announced for the sessions "
          "(stun://host:port, turn://user:password@host:port); the elements "
          "add them to their peer connections",
          G_TYPE_STRV, ro));

  GType desc_type = GST_TYPE_WEBRTC_SESSION_DESCRIPTION;

  /**
   * GwsSignaller::session-requested:
   * @self: the signaller
   * @session_id: the new session
   * @peer_id: the consumer asking for media
   * @offer: (nullable): the consumer's offer, when it offered first
   *
   * Producer side: a peer wants our media. Make a peer connection, then
   * send an offer (or the answer to @offer) with gws_signaller_send_sdp().
   */
  signals[SIGNAL_SESSION_REQUESTED] = g_signal_new("session-requested",
      G_TYPE_FROM_INTERFACE(iface), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr,
      nullptr, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, desc_type);

  /**
   * GwsSignaller::session-started:
   * @self: the signaller
   * @session_id: the session we asked for
   * @peer_id: the producer
   *
   * Consumer side: the session exists; the producer's offer follows through
   * #GwsSignaller::session-description.
   */
  signals[SIGNAL_SESSION_STARTED] = g_signal_new("session-started",
      G_TYPE_FROM_INTERFACE(iface), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr,
      nullptr, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);

  /**
   * GwsSignaller::session-description:
   * @self: the signaller
   * @session_id: the session
   * @desc: the remote offer or answer
   */
  signals[SIGNAL_SESSION_DESCRIPTION] = g_signal_new("session-description",
      G_TYPE_FROM_INTERFACE(iface), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr,
      nullptr, G_TYPE_NONE, 2, G_TYPE_STRING, desc_type);

  /**
   * GwsSignaller::handle-ice:
   * @self: the signaller
   * @session_id: the session
   * @mline_index: the media line the candidate belongs to
   * @mid: (nullable): the media id, when the remote side sent one
   * @candidate: the candidate line ("candidate:...")
   *
   * A remote ICE candidate. It may arrive before the description it belongs
   * to: buffer it.
   */
  signals[SIGNAL_HANDLE_ICE]
      = g_signal_new("handle-ice", G_TYPE_FROM_INTERFACE(iface),
          G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr, G_TYPE_NONE, 4,
          G_TYPE_STRING, G_TYPE_UINT, G_TYPE_STRING, G_TYPE_STRING);

  /**
   * GwsSignaller::session-ended:
   * @self: the signaller
   * @session_id: the session
   * @reason: (nullable): why, when the remote side said
   *
   * The remote side ended the session, or the signaller lost it.
   */
  signals[SIGNAL_SESSION_ENDED] = g_signal_new("session-ended",
      G_TYPE_FROM_INTERFACE(iface), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr,
      nullptr, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);

  /**
   * GwsSignaller::error:
   * @self: the signaller
   * @message: what went wrong, fit for a user
   *
   * Detailed: "error::fatal" when the signaller gave up (token refused, id
   * taken), "error::retrying" when it keeps trying (relay unreachable),
   * "error::unavailable" when what it needs is not there yet (producer not
   * found, endpoint refused): it stopped, and may be started again.
   */
  signals[SIGNAL_ERROR] = g_signal_new("error", G_TYPE_FROM_INTERFACE(iface),
      static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED), 0,
      nullptr, nullptr, nullptr, G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * GwsSignaller::connection-changed:
   * @self: the signaller
   * @connected: whether the signalling channel is up (and registered)
   */
  signals[SIGNAL_CONNECTION_CHANGED] = g_signal_new("connection-changed",
      G_TYPE_FROM_INTERFACE(iface), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr,
      nullptr, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
}

/* Methods */

void
gws_signaller_start(GwsSignaller *self) {
  g_return_if_fail(GWS_IS_SIGNALLER(self));
  GwsSignallerInterface *iface = GWS_SIGNALLER_GET_IFACE(self);
  g_return_if_fail(iface->start != nullptr);
  iface->start(self);
}

void
gws_signaller_stop(GwsSignaller *self) {
  g_return_if_fail(GWS_IS_SIGNALLER(self));
  GwsSignallerInterface *iface = GWS_SIGNALLER_GET_IFACE(self);
  g_return_if_fail(iface->stop != nullptr);
  iface->stop(self);
}

void
gws_signaller_send_sdp(GwsSignaller *self, const gchar *session_id,
    const GstWebRTCSessionDescription *sdp) {
  g_return_if_fail(GWS_IS_SIGNALLER(self));
  g_return_if_fail(session_id != nullptr);
  g_return_if_fail(sdp != nullptr && sdp->sdp != nullptr);
  GwsSignallerInterface *iface = GWS_SIGNALLER_GET_IFACE(self);
  g_return_if_fail(iface->send_sdp != nullptr);
  iface->send_sdp(self, session_id, sdp);
}

void
gws_signaller_add_ice(GwsSignaller *self, const gchar *session_id,
    const gchar *candidate, guint mline_index, const gchar *mid) {
  g_return_if_fail(GWS_IS_SIGNALLER(self));
  g_return_if_fail(session_id != nullptr);
  GwsSignallerInterface *iface = GWS_SIGNALLER_GET_IFACE(self);
  g_return_if_fail(iface->add_ice != nullptr);
  iface->add_ice(self, session_id, candidate, mline_index, mid);
}

void
gws_signaller_end_session(GwsSignaller *self, const gchar *session_id) {
  g_return_if_fail(GWS_IS_SIGNALLER(self));
  g_return_if_fail(session_id != nullptr);
  GwsSignallerInterface *iface = GWS_SIGNALLER_GET_IFACE(self);
  g_return_if_fail(iface->end_session != nullptr);
  iface->end_session(self, session_id);
}

void
gws_signaller_end_session_with_reason(
    GwsSignaller *self, const gchar *session_id, const gchar *reason) {
  g_return_if_fail(GWS_IS_SIGNALLER(self));
  g_return_if_fail(session_id != nullptr);
  GwsSignallerInterface *iface = GWS_SIGNALLER_GET_IFACE(self);
  if (iface->end_session_with_reason) {
    iface->end_session_with_reason(self, session_id, reason);
    return;
  }
  g_return_if_fail(iface->end_session != nullptr);
  iface->end_session(self, session_id);
}

GwsSignallerRole
gws_signaller_get_role(GwsSignaller *self) {
  g_return_val_if_fail(GWS_IS_SIGNALLER(self), GWS_SIGNALLER_ROLE_PRODUCER);
  GwsSignallerRole role = GWS_SIGNALLER_ROLE_PRODUCER;
  g_object_get(self, "role", &role, nullptr);
  return role;
}

static gboolean
get_flag(GwsSignaller *self, const char *name) {
  gboolean yes = FALSE;
  g_object_get(self, name, &yes, nullptr);
  return yes;
}

gboolean
gws_signaller_get_session_restarts(GwsSignaller *self) {
  g_return_val_if_fail(GWS_IS_SIGNALLER(self), FALSE);
  return get_flag(self, "session-restarts");
}

gboolean
gws_signaller_get_consumer_offers(GwsSignaller *self) {
  g_return_val_if_fail(GWS_IS_SIGNALLER(self), FALSE);
  return get_flag(self, "consumer-offers");
}

gboolean
gws_signaller_get_accepts_sessions(GwsSignaller *self) {
  g_return_val_if_fail(GWS_IS_SIGNALLER(self), FALSE);
  return get_flag(self, "accepts-sessions");
}

gchar **
gws_signaller_dup_announced_ice_servers(GwsSignaller *self) {
  g_return_val_if_fail(GWS_IS_SIGNALLER(self), nullptr);
  GParamSpec *pspec
      = g_object_class_find_property(G_OBJECT_GET_CLASS(self), "ice-servers");
  /* Writable: a server's list of what it announces, not for our side. */
  if (!pspec || (pspec->flags & G_PARAM_WRITABLE))
    return nullptr;
  gchar **servers = nullptr;
  g_object_get(self, "ice-servers", &servers, nullptr);
  return servers;
}

gboolean
gws_signaller_type_supports_role(GType type, GwsSignallerRole role) {
  g_return_val_if_fail(g_type_is_a(type, GWS_TYPE_SIGNALLER), FALSE);
  gpointer klass = g_type_class_ref(type);
  auto *iface = static_cast<GwsSignallerInterface *>(
      g_type_interface_peek(klass, GWS_TYPE_SIGNALLER));
  gboolean ok = !iface || !iface->supports_role || iface->supports_role(role);
  g_type_class_unref(klass);
  return ok;
}

gchar *
gws_signaller_check_role(GwsSignaller *self, GwsSignallerRole role) {
  g_return_val_if_fail(GWS_IS_SIGNALLER(self), nullptr);
  GType type = G_OBJECT_TYPE(self);
  GwsSignallerRole own = gws_signaller_get_role(self);
  if (!gws_signaller_type_supports_role(type, role)) {
    std::string schemes = schemes_for_role(role);
    return g_strdup_printf("the signaller %s %s: it belongs on %s, not %s "
                           "(%s can use %s)",
        g_type_name(type), role_action(other_role(role)),
        role_element(other_role(role)), role_element(role), role_element(role),
        schemes.c_str());
  }
  if (own != role)
    return g_strdup_printf("the signaller %s was made with role %s (for %s): "
                           "make it with role %s for %s",
        g_type_name(type),
        own == GWS_SIGNALLER_ROLE_PRODUCER ? "producer" : "consumer",
        role_element(own),
        role == GWS_SIGNALLER_ROLE_PRODUCER ? "producer" : "consumer",
        role_element(role));
  return nullptr;
}

/* Emitters */

void
gws_signaller_emit_session_requested(GwsSignaller *self,
    const gchar *session_id, const gchar *peer_id,
    const GstWebRTCSessionDescription *offer) {
  g_return_if_fail(GWS_IS_SIGNALLER(self));
  g_signal_emit(
      self, signals[SIGNAL_SESSION_REQUESTED], 0, session_id, peer_id, offer);
}

void
gws_signaller_emit_session_started(
    GwsSignaller *self, const gchar *session_id, const gchar *peer_id) {
  g_return_if_fail(GWS_IS_SIGNALLER(self));
  g_signal_emit(self, signals[SIGNAL_SESSION_STARTED], 0, session_id, peer_id);
}

void
gws_signaller_emit_session_description(GwsSignaller *self,
    const gchar *session_id, const GstWebRTCSessionDescription *desc) {
  g_return_if_fail(GWS_IS_SIGNALLER(self));
  g_return_if_fail(desc != nullptr);
  g_signal_emit(self, signals[SIGNAL_SESSION_DESCRIPTION], 0, session_id, desc);
}

void
gws_signaller_emit_handle_ice(GwsSignaller *self, const gchar *session_id,
    guint mline_index, const gchar *mid, const gchar *candidate) {
  g_return_if_fail(GWS_IS_SIGNALLER(self));
  g_signal_emit(self, signals[SIGNAL_HANDLE_ICE], 0, session_id, mline_index,
      mid, candidate);
}

void
gws_signaller_emit_session_ended(
    GwsSignaller *self, const gchar *session_id, const gchar *reason) {
  g_return_if_fail(GWS_IS_SIGNALLER(self));
  g_signal_emit(self, signals[SIGNAL_SESSION_ENDED], 0, session_id, reason);
}

void
gws_signaller_emit_error_full(
    GwsSignaller *self, const gchar *message, gboolean fatal) {
  g_return_if_fail(GWS_IS_SIGNALLER(self));
  GST_WARNING_OBJECT(
      self, "%s error: %s", fatal ? "fatal" : "retrying", message);
  g_signal_emit(self, signals[SIGNAL_ERROR],
      fatal ? quark_fatal : quark_retrying, message);
}

void
gws_signaller_emit_unavailable(GwsSignaller *self, const gchar *message) {
  g_return_if_fail(GWS_IS_SIGNALLER(self));
  GST_WARNING_OBJECT(self, "unavailable: %s", message);
  g_signal_emit(self, signals[SIGNAL_ERROR], quark_unavailable, message);
}

void
gws_signaller_emit_error(GwsSignaller *self, const gchar *message) {
  gws_signaller_emit_error_full(self, message, TRUE);
}

void
gws_signaller_emit_connection_changed(GwsSignaller *self, gboolean connected) {
  g_return_if_fail(GWS_IS_SIGNALLER(self));
  g_signal_emit(self, signals[SIGNAL_CONNECTION_CHANGED], 0, connected);
}

/* The scheme registry */

static void
register_scheme(const gchar *scheme, GType type, bool replace) {
  g_return_if_fail(scheme != nullptr && *scheme != '\0');
  g_return_if_fail(g_type_is_a(type, GWS_TYPE_SIGNALLER));
  std::lock_guard<std::mutex> lock(registry_lock);
  auto &map = registry();
  std::string key = lower(scheme);
  if (!replace && map.count(key))
    return;
  map[key] = type;
}

void
gws_signaller_register_scheme(const gchar *scheme, GType type) {
  register_scheme(scheme, type, true);
}

void
gws_signaller_register_builtin(void) {
  static gsize done = 0;
  if (g_once_init_enter(&done)) {
    GType ws = gws_ws_signaller_get_type();
    register_scheme("ws", ws, false);
    register_scheme("wss", ws, false);
    /* The same relay protocol over HTTP long-poll (longpoll-transport.h). */
    register_scheme("poll+http", ws, false);
    register_scheme("poll+https", ws, false);
    g_once_init_leave(&done, 1);
  }
}

gchar **
gws_signaller_list_schemes(void) {
  std::lock_guard<std::mutex> lock(registry_lock);
  GStrvBuilder *builder = g_strv_builder_new();
  for (const auto &entry : registry())
    g_strv_builder_add(builder, entry.first.c_str());
  gchar **out = g_strv_builder_end(builder);
  g_strv_builder_unref(builder);
  return out;
}

GwsSignaller *
gws_signaller_new_for_uri(
    const gchar *uri, GwsSignallerRole role, GError **error) {
  g_return_val_if_fail(error == nullptr || *error == nullptr, nullptr);
  GType type = gws_signaller_type_for_uri(uri, role, error);
  if (type == G_TYPE_INVALID)
    return nullptr;

  /* The interface's default_init sets up our debug category: make sure it
   * ran before the first log line, whoever calls first. */
  static gsize iface_ready = 0;
  if (g_once_init_enter(&iface_ready)) {
    g_type_default_interface_unref(
        g_type_default_interface_ref(GWS_TYPE_SIGNALLER));
    g_once_init_leave(&iface_ready, 1);
  }
  GST_DEBUG("making a %s for %s", g_type_name(type), uri);
  return GWS_SIGNALLER(g_object_new(type, "role", role, "uri", uri, nullptr));
}

GType
gws_signaller_type_for_uri(
    const gchar *uri, GwsSignallerRole role, GError **error) {
  g_return_val_if_fail(error == nullptr || *error == nullptr, G_TYPE_INVALID);
  gws_signaller_register_builtin();

  if (!uri || !*uri) {
    g_set_error(error, GWS_SIGNALLER_ERROR, GWS_SIGNALLER_ERROR_BAD_URI,
        "no signaller URI given (expected e.g. ws://127.0.0.1:8443/)");
    return G_TYPE_INVALID;
  }
  g_autoptr(GError) parse_error = nullptr;
  g_autoptr(GUri) parsed = g_uri_parse(uri, G_URI_FLAGS_NONE, &parse_error);
  if (!parsed) {
    g_set_error(error, GWS_SIGNALLER_ERROR, GWS_SIGNALLER_ERROR_BAD_URI,
        "invalid signaller URI \"%s\": %s (expected e.g. "
        "ws://127.0.0.1:8443/)",
        uri, parse_error->message);
    return G_TYPE_INVALID;
  }
  std::string scheme = lower(g_uri_get_scheme(parsed));

  GType type = G_TYPE_INVALID;
  {
    std::lock_guard<std::mutex> lock(registry_lock);
    auto it = registry().find(scheme);
    if (it != registry().end())
      type = it->second;
  }
  if (type == G_TYPE_INVALID) {
    std::string known = known_schemes();
    g_set_error(error, GWS_SIGNALLER_ERROR, GWS_SIGNALLER_ERROR_UNKNOWN_SCHEME,
        "no signaller for the URI scheme \"%s\" of \"%s\" (known schemes: "
        "%s)",
        scheme.c_str(), uri, known.c_str());
    return G_TYPE_INVALID;
  }
  if (!gws_signaller_type_supports_role(type, role)) {
    std::string usable = schemes_for_role(role);
    g_set_error(error, GWS_SIGNALLER_ERROR, GWS_SIGNALLER_ERROR_WRONG_ROLE,
        "a %s:// signaller %s, so it belongs on %s, not %s (%s can use %s)",
        scheme.c_str(), role_action(other_role(role)),
        role_element(other_role(role)), role_element(role), role_element(role),
        usable.c_str());
    return G_TYPE_INVALID;
  }
  return type;
}

gchar **
gws_signaller_list_schemes_for_role(GwsSignallerRole role) {
  g_auto(GStrv) all = gws_signaller_list_schemes();
  GStrvBuilder *builder = g_strv_builder_new();
  for (guint i = 0; all[i]; i++) {
    GType type = G_TYPE_INVALID;
    {
      std::lock_guard<std::mutex> lock(registry_lock);
      auto it = registry().find(all[i]);
      if (it != registry().end())
        type = it->second;
    }
    if (type != G_TYPE_INVALID && gws_signaller_type_supports_role(type, role))
      g_strv_builder_add(builder, all[i]);
  }
  gchar **out = g_strv_builder_end(builder);
  g_strv_builder_unref(builder);
  return out;
}
