/* gst-webrtc-session: the HTTP side of a WHIP or WHEP client.
 *
 * Shared by GwsWhipClient (webrtcsink publishes to a WHIP endpoint) and
 * GwsWhepClient (webrtcsrc plays from a WHEP endpoint). One session at a
 * time: start() first asks the endpoint for its ICE servers (OPTIONS; the
 * Link rel="ice-server" headers of a 2xx go to "ice-servers"; any failure,
 * or no answer within 2 s, is ignored), then opens the session
 * ("session-requested" for WHIP, so the sink offers; "session-started" for
 * WHEP, so the src offers recvonly), so that the bin finds the servers when
 * it makes its peer connection; send_sdp() POSTs
 * the offer (following 307/308, keeping method and body), the 201's answer
 * is emitted as "session-description", local candidates are trickled by
 * PATCH (buffered until the 201; dropped for the rest of the object's life
 * when the server answers 405/422/501, in which case the next session
 * gathers fully before its POST), and stop()/end_session() DELETE the
 * resource.
 *
 * Threading: a Worker thread (started by start()) runs every request and
 * emits every signal.
 * The GObject owns a shared_ptr; posted work and request callbacks hold
 * one too, so the core outlives the object when a request is in flight.
 * dispose lets a last DELETE finish (bounded) before joining the thread.
 *
 * Locks: `lock` guards `settings` and the read-only state the properties
 * show (`resource_url`, `ice_servers`). Leaf lock: nothing is called or
 * emitted with it held. */
#pragma once

#include "gws-signaller.h"
#include "whip-util.h"

#include <libsoup/soup.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace gws {
namespace whip {

enum class Protocol { Whip, Whep };

/* Property ids shared by GwsWhipClient and GwsWhepClient. */
enum ClientProp {
  CLIENT_PROP_0,
  CLIENT_PROP_ROLE,
  CLIENT_PROP_URI,
  CLIENT_PROP_TOKEN,
  CLIENT_PROP_TRICKLE,
  CLIENT_PROP_GATHER_TIMEOUT,
  CLIENT_PROP_TIMEOUT,
  CLIENT_PROP_TLS_VALIDATION,
  CLIENT_PROP_RESOURCE_URL,
  CLIENT_PROP_ICE_SERVERS,
  CLIENT_PROP_SESSION_RESTARTS,
  CLIENT_PROP_CONSUMER_OFFERS,
  CLIENT_PROP_ACCEPTS_SESSIONS,
  CLIENT_N_PROPS,
};

class Client : public std::enable_shared_from_this<Client> {
 public:
  Client(GwsSignaller *owner, Protocol protocol);
  ~Client();

  static void install_properties(GObjectClass *klass, Protocol protocol);
  void set_property(guint id, const GValue *value, GParamSpec *pspec);
  void get_property(guint id, GValue *value, GParamSpec *pspec);

  /* GwsSignaller methods, from any thread. */
  void start();
  void stop();
  void send_sdp(
      const gchar *session_id, const GstWebRTCSessionDescription *sdp);
  void add_ice(const gchar *session_id, const gchar *candidate, guint mline,
      const gchar *mid);
  void end_session(const gchar *session_id);

  /* From the owner's dispose. */
  void dispose();

 private:
  struct Settings {
    GwsSignallerRole role = GWS_SIGNALLER_ROLE_PRODUCER;
    std::string uri;
    std::string token;
    bool trickle = true;
    guint gather_timeout_ms = 5000;
    guint timeout_s = 15;
    bool tls_validation = true;
  };
  struct Session;
  struct Response;
  using ResponseFn = std::function<void(Response &)>;

  const char *name() const;
  std::string endpoint_of(const std::string &uri) const;

  void do_start();
  void on_options_response(const std::string &sid, Response &r);
  void begin_session(const std::string &sid);
  void do_stop();
  void do_send_offer(const std::string &sid, SdpPtr offer);
  void do_add_ice(const std::string &sid, const Candidate &cand, bool end);
  void do_end(const std::string &sid);
  void post_offer();
  void on_post_response(const std::string &sid, Response &r);
  void flush_candidates();
  void on_patch_response(const std::string &sid, Response &r);
  void send_delete(const std::string &url);
  /* @unavailable: the endpoint is missing or busy, not wrong
   * ("error::unavailable"). */
  void fail(const std::string &message, bool unavailable = false);
  void clear_session();
  void set_resource(const std::string &url);
  void set_ice_servers(std::vector<std::string> servers);

  /* @cancel: cancels this request (default: cancellable_, none for
   * DELETE). A cancelled request never calls @done. 307/308 are followed
   * (@hops so far). The token goes only to the endpoint's origin: not to
   * a redirect target or a resource on another one. */
  void request(const char *method, const std::string &url,
      const char *content_type, const std::string &body,
      const std::string &if_match, ResponseFn done,
      GCancellable *cancel = nullptr, int hops = 0);

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
  std::string resource_url_;
  std::vector<std::string> ice_servers_;

  /* Thread-only state. */
  Settings active_;
  std::string endpoint_;
  std::string ice_servers_endpoint_; /* the endpoint ice_servers_ came from */
  ObjPtr<SoupSession> http_;
  ObjPtr<GCancellable> cancellable_;
  std::unique_ptr<Session> session_;
  bool running_ = false;
  bool trickle_refused_ = false; /* the server refused a trickle PATCH */
  int in_flight_ = 0;
  bool quitting_ = false;
};

} // namespace whip
} // namespace gws
