/* gst-webrtc-session: the HTTP side of a WHIP or WHEP server.
 *
 * Shared by GwsWhipServer (webrtcsrc accepts publishers) and GwsWhepServer
 * (webrtcsink serves viewers). A libsoup SoupServer on host:port serves the
 * endpoint path and its session resources path/<session-id>:
 *  - POST application/sdp: a new session. WHIP: "session-started" then
 *    "session-description"(offer), so the consumer bin answers; WHEP:
 *    "session-requested"(offer), so the producer bin answers. The HTTP
 *    answer waits (message paused) for send_sdp(answer) and the end of
 *    gathering (add_ice NULL, or gather-timeout), since a server cannot
 *    trickle: 201 with the answer carrying every candidate, Location,
 *    ETag, Link ice-server headers.
 *  - PATCH application/trickle-ice-sdpfrag: the client's candidates, one
 *    "handle-ice" each; 204. New ufrag/pwd (ICE restart): 428 without
 *    If-Match, else 422 (webrtcbin 1.22 cannot restart ICE).
 *  - DELETE: "session-ended"; 200.
 *  - The pipeline ends a session still waiting for its 201 (it refused
 *    the offer): 422 with the bin's reason (end_session_with_reason).
 *  - OPTIONS: CORS preflight, Accept-Post / Accept-Patch; on the endpoint,
 *    the Link ice-server headers too when the token is right (or unset).
 *  - 401 without the bearer token, 404 for an unknown resource, 405 for a
 *    wrong method, 415 for a wrong content type, 400/422 for an unusable
 *    body, 503 + Retry-After past max-sessions.
 *
 * Threading: a Worker thread (started by start()) owns the SoupServer,
 * every session and every emission. The GObject owns a shared_ptr; posted work
 * holds one too.
 *
 * Locks: `lock` guards `settings_` and `bound_port_` (what the properties
 * show). Leaf lock: nothing is called or emitted with it held. */
#pragma once

#include "gws-signaller.h"
#include "whip-util.h"
#include "whip-client.h" /* Protocol */

#include <libsoup/soup.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace gws {
namespace whip {

/* Property ids shared by GwsWhipServer and GwsWhepServer. */
enum ServerProp {
  SERVER_PROP_0,
  SERVER_PROP_ROLE,
  SERVER_PROP_URI,
  SERVER_PROP_TOKEN,
  SERVER_PROP_MAX_SESSIONS,
  SERVER_PROP_GATHER_TIMEOUT,
  SERVER_PROP_ANSWER_TIMEOUT,
  SERVER_PROP_ICE_SERVERS,
  SERVER_PROP_CORS_ORIGIN,
  SERVER_PROP_ENDPOINT_URL,
  SERVER_PROP_ACCEPTS_SESSIONS,
  SERVER_PROP_SESSION_RESTARTS,
  SERVER_PROP_CONSUMER_OFFERS,
  SERVER_N_PROPS,
};

class Server : public std::enable_shared_from_this<Server> {
 public:
  Server(GwsSignaller *owner, Protocol protocol);
  ~Server();

  static void install_properties(GObjectClass *klass, Protocol protocol);
  void set_property(guint id, const GValue *value, GParamSpec *pspec);
  void get_property(guint id, GValue *value, GParamSpec *pspec);

  void start();
  void stop();
  void send_sdp(
      const gchar *session_id, const GstWebRTCSessionDescription *sdp);
  void add_ice(const gchar *session_id, const gchar *candidate, guint mline,
      const gchar *mid);
  /* @reason (nullable): a client still waiting for its answer gets 422
   * with it. */
  void end_session(const gchar *session_id, const gchar *reason = nullptr);

  void dispose();

 private:
  struct Settings {
    GwsSignallerRole role = GWS_SIGNALLER_ROLE_CONSUMER;
    std::string uri;
    std::string token;
    guint max_sessions = 1;
    guint gather_timeout_ms = 2000;
    guint answer_timeout_ms = 10000;
    std::vector<std::string> ice_servers;
    std::string cors_origin = "*";
  };
  struct Session;

  const char *name() const;
  void do_start();
  void do_stop();
  void do_answer(const std::string &sid, SdpPtr answer);
  void do_add_ice(const std::string &sid, const Candidate &cand, bool end);
  void do_end(const std::string &sid, const std::string &reason);

  static void on_request(SoupServer *server, SoupServerMessage *msg,
      const char *path, GHashTable *query, gpointer data);
  void handle(SoupServerMessage *msg, const char *path);
  void handle_post(SoupServerMessage *msg);
  void handle_patch(SoupServerMessage *msg, Session &s);
  void handle_delete(SoupServerMessage *msg, const std::string &sid);
  void handle_options(SoupServerMessage *msg, bool resource);
  void respond(SoupServerMessage *msg, guint status, const std::string &text);
  void add_cors(SoupServerMessage *msg);
  void add_ice_server_links(SoupServerMessage *msg);
  bool token_ok(SoupServerMessage *msg) const;
  bool authorized(SoupServerMessage *msg);

  void try_finish(Session &s);
  void finish(const std::string &sid);
  void fail_pending(const std::string &sid, guint status,
      const std::string &text, bool tell_bin);
  void release_pending(Session &s);

  GwsSignaller *owner_; /* null once disposed; touched on the thread only */
  /* The signaller for log lines: owner_ on the thread, else none (other
   * threads must not read owner_). */
  GObject *log_object() const {
    return worker_.is_current() ? G_OBJECT(owner_) : nullptr;
  }
  Protocol protocol_;
  Worker worker_;

  std::mutex lock;
  Settings settings_;
  std::string endpoint_url_;

  /* Thread-only state. */
  Settings active_;
  std::string base_path_; /* "/whip", no trailing slash ("" for "/") */
  ObjPtr<SoupServer> server_;
  std::map<std::string, std::unique_ptr<Session>> sessions_;
};

} // namespace whip
} // namespace gws
