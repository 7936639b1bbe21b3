/* The WHIP and WHEP client signallers: against our own servers in the same
 * process (offer, answer, trickled candidates both ways, DELETE ends the
 * session on the other side), and against a scripted server for what our
 * server never does (307 redirects, refused trickle, refusals with a
 * reason, Link ice-server headers, OPTIONS refused or unanswered). ICE
 * servers: the client asks for them with OPTIONS and has them before the
 * bin is told to start. The test plays both bins with canned SDP. No
 * media. */
#include "gws-whip.h"
#include "whip-test-util.h"

#include <gst/gst.h>

using namespace whiptest;

namespace {

const char *kServerCandidate
    = "candidate:1 1 UDP 2122252543 127.0.0.1 40000 typ host";
const char *kClientCandidate
    = "candidate:7 1 UDP 2122252543 127.0.0.1 50000 typ host";

GwsSignaller *
make(const std::string &uri, GwsSignallerRole role) {
  GError *error = nullptr;
  GwsSignaller *s = gws_signaller_new_for_uri(uri.c_str(), role, &error);
  EXPECT_NE(s, nullptr) << (error ? error->message : "");
  return s;
}

std::string
endpoint_of(GwsSignaller *server) {
  gchar *url = nullptr;
  g_object_get(server, "endpoint-url", &url, nullptr);
  std::string out = url ? url : "";
  g_free(url);
  return out;
}

/* A bin on the client side: offers (direction @dir) with one candidate,
 * then end-of-candidates. */
void
act_as_offerer(
    Recorder &rec, GwsSignaller *sig, const char *dir, const char *trigger) {
  rec.on_event = [sig, dir, trigger](const Recorder::Event &e) {
    if (e.name != trigger)
      return;
    GstWebRTCSessionDescription *o
        = make_desc(GST_WEBRTC_SDP_TYPE_OFFER, make_sdp(dir, "cli1", true));
    gws_signaller_send_sdp(sig, e.session_id.c_str(), o);
    gst_webrtc_session_description_free(o);
    gws_signaller_add_ice(
        sig, e.session_id.c_str(), kClientCandidate, 0, nullptr);
    gws_signaller_add_ice(sig, e.session_id.c_str(), nullptr, 0, nullptr);
  };
}

/* A bin on the server side: answers with one candidate. */
void
act_as_answerer(Recorder &rec, GwsSignaller *sig, const char *dir) {
  rec.on_event = [sig, dir](const Recorder::Event &e) {
    bool offer = e.name == "session-description"
                 || (e.name == "session-requested" && !e.b.empty());
    if (!offer)
      return;
    GstWebRTCSessionDescription *a
        = make_desc(GST_WEBRTC_SDP_TYPE_ANSWER, make_sdp(dir, "srv1", true));
    gws_signaller_send_sdp(sig, e.session_id.c_str(), a);
    gst_webrtc_session_description_free(a);
    gws_signaller_add_ice(
        sig, e.session_id.c_str(), kServerCandidate, 0, nullptr);
    gws_signaller_add_ice(sig, e.session_id.c_str(), nullptr, 0, nullptr);
  };
}

void
client_server_round_trip(bool whip, bool trickle) {
  const char *proto = whip ? "whip" : "whep";
  GwsSignaller *server
      = make(std::string(proto) + "-server://127.0.0.1:0/" + proto,
          whip ? GWS_SIGNALLER_ROLE_CONSUMER : GWS_SIGNALLER_ROLE_PRODUCER);
  g_object_set(server, "token", "tok", nullptr);
  Recorder srec(server);
  act_as_answerer(srec, server, whip ? "recvonly" : "sendonly");
  gws_signaller_start(server);
  ASSERT_TRUE(srec.wait("connection-changed"));
  std::string ep = endpoint_of(server);

  GwsSignaller *client = make(std::string(proto) + "+" + ep,
      whip ? GWS_SIGNALLER_ROLE_PRODUCER : GWS_SIGNALLER_ROLE_CONSUMER);
  g_object_set(client, "token", "tok", "trickle", trickle, nullptr);
  Recorder crec(client);
  act_as_offerer(crec, client, whip ? "sendonly" : "recvonly",
      whip ? "session-requested" : "session-started");
  gws_signaller_start(client);

  /* The client bin gets the server's answer with the server's candidate. */
  Recorder::Event answer;
  ASSERT_TRUE(crec.wait("session-description", &answer));
  EXPECT_EQ(answer.b, "answer");
  EXPECT_NE(
      answer.a.find(std::string("a=") + kServerCandidate), std::string::npos);
  /* The server bin gets the offer; the client's candidate arrives by PATCH
   * (trickle) or inside the offer (no trickle). */
  Recorder::Event offer;
  if (whip) {
    ASSERT_TRUE(srec.wait("session-started"));
    ASSERT_TRUE(srec.wait("session-description", &offer));
  } else {
    ASSERT_TRUE(srec.wait("session-requested", &offer));
    offer.a = offer.b;
  }
  if (trickle) {
    Recorder::Event ice;
    ASSERT_TRUE(srec.wait("handle-ice", &ice));
    EXPECT_EQ(ice.a, kClientCandidate);
    EXPECT_EQ(ice.mline, 0u);
    EXPECT_EQ(ice.session_id, offer.session_id);
  } else {
    EXPECT_NE(
        offer.a.find(std::string("a=") + kClientCandidate), std::string::npos)
        << offer.a;
  }
  gchar *res = nullptr;
  g_object_get(client, "resource-url", &res, nullptr);
  ASSERT_NE(res, nullptr);
  EXPECT_EQ(std::string(res), ep + "/" + offer.session_id);
  g_free(res);

  /* Stopping the client DELETEs: the server bin hears the session ended. */
  gws_signaller_stop(client);
  Recorder::Event ended;
  ASSERT_TRUE(srec.wait("session-ended", &ended));
  EXPECT_EQ(ended.session_id, offer.session_id);
  EXPECT_EQ(crec.count_of("error"), 0u);

  gws_signaller_stop(server);
  g_object_unref(client);
  g_object_unref(server);
}

/* The client's "ice-servers", read from the test thread or from a handler
 * (as a bin does on session-requested). */
std::vector<std::string>
ice_servers_of(GwsSignaller *client) {
  gchar **servers = nullptr;
  g_object_get(client, "ice-servers", &servers, nullptr);
  std::vector<std::string> out;
  for (guint i = 0; servers && servers[i]; i++)
    out.push_back(servers[i]);
  g_strfreev(servers);
  return out;
}

/* Requests other than OPTIONS (the ICE-server probe before each session). */
std::vector<ScriptServer::Request>
without_options(const std::vector<ScriptServer::Request> &reqs) {
  std::vector<ScriptServer::Request> out;
  for (const auto &r : reqs)
    if (r.method != "OPTIONS")
      out.push_back(r);
  return out;
}

} // namespace

TEST(WhipClient, PublishesToOurWhipServerWithTrickle) {
  client_server_round_trip(true, true);
}

TEST(WhipClient, PublishesToOurWhipServerWithoutTrickle) {
  client_server_round_trip(true, false);
}

TEST(WhepClient, PlaysFromOurWhepServerWithTrickle) {
  client_server_round_trip(false, true);
}

TEST(WhipClient, DisposeRightAfterStopStillDeletes) {
  GwsSignaller *server
      = make("whip-server://127.0.0.1:0/whip", GWS_SIGNALLER_ROLE_CONSUMER);
  Recorder srec(server);
  act_as_answerer(srec, server, "recvonly");
  gws_signaller_start(server);
  ASSERT_TRUE(srec.wait("connection-changed"));
  GwsSignaller *client
      = make("whip+" + endpoint_of(server), GWS_SIGNALLER_ROLE_PRODUCER);
  {
    Recorder crec(client);
    act_as_offerer(crec, client, "sendonly", "session-requested");
    gws_signaller_start(client);
    ASSERT_TRUE(crec.wait("session-description"));
  }
  gws_signaller_stop(client);
  g_object_unref(client);
  EXPECT_TRUE(srec.wait("session-ended"));
  gws_signaller_stop(server);
  g_object_unref(server);
}

TEST(WhipClient, Follows307KeepingMethodBodyAndResolvesLocation) {
  std::string answer = make_sdp("recvonly", "srv1", true);
  ScriptServer srv([&answer](
                       SoupServerMessage *msg, const ScriptServer::Request &r) {
    if (r.method == "POST" && r.path == "/ingest") {
      ScriptServer::header(msg, "Location", "/edge/whip");
      ScriptServer::reply(msg, 307);
    } else if (r.method == "POST" && r.path == "/edge/whip") {
      ScriptServer::header(msg, "Location", "session/42"); /* relative */
      ScriptServer::header(msg, "ETag", "\"e1\"");
      ScriptServer::header(
          msg, "Link", "<stun:stun.example.net:3478>; rel=\"ice-server\"");
      ScriptServer::header(msg, "Link",
          "<turn:turn.example.net:3478?transport=udp>; rel=\"ice-server\"; "
          "username=\"u\"; credential=\"p w\"; credential-type=\"password\"");
      ScriptServer::reply(msg, 201, "application/sdp", answer);
    } else {
      ScriptServer::reply(msg, 204);
    }
  });
  GwsSignaller *client
      = make("whip+" + srv.url("/ingest"), GWS_SIGNALLER_ROLE_PRODUCER);
  g_object_set(client, "token", "abc", nullptr);
  Recorder crec(client);
  act_as_offerer(crec, client, "sendonly", "session-requested");
  gws_signaller_start(client);
  ASSERT_TRUE(crec.wait("session-description"));
  ASSERT_TRUE(srv.wait_requests(4)); /* OPTIONS, POST, POST, PATCH */
  auto all = srv.requests();
  EXPECT_EQ(all[0].method, "OPTIONS");
  EXPECT_EQ(all[0].path, "/ingest");
  EXPECT_EQ(all[0].authorization, "Bearer abc");
  auto reqs = without_options(all);
  ASSERT_GE(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].path, "/ingest");
  EXPECT_EQ(reqs[1].method, "POST");
  EXPECT_EQ(reqs[1].path, "/edge/whip");
  EXPECT_EQ(reqs[1].body, reqs[0].body);
  EXPECT_EQ(reqs[1].content_type, "application/sdp");
  EXPECT_EQ(reqs[1].authorization, "Bearer abc");
  EXPECT_EQ(reqs[2].method, "PATCH");
  EXPECT_EQ(reqs[2].path, "/edge/session/42");
  EXPECT_EQ(reqs[2].content_type, "application/trickle-ice-sdpfrag");
  EXPECT_EQ(reqs[2].if_match, "\"e1\"");
  EXPECT_NE(reqs[2].body.find(std::string("a=") + kClientCandidate),
      std::string::npos);
  EXPECT_NE(reqs[2].body.find("a=ice-ufrag:cli1"), std::string::npos);
  EXPECT_NE(reqs[2].body.find("a=mid:0"), std::string::npos);

  gchar *res = nullptr;
  gchar **servers = nullptr;
  g_object_get(client, "resource-url", &res, "ice-servers", &servers, nullptr);
  EXPECT_EQ(std::string(res ? res : ""), srv.url("/edge/session/42"));
  ASSERT_NE(servers, nullptr);
  ASSERT_EQ(g_strv_length(servers), 2u);
  EXPECT_STREQ(servers[0], "stun://stun.example.net:3478");
  EXPECT_STREQ(
      servers[1], "turn://u:p%20w@turn.example.net:3478?transport=udp");
  g_free(res);
  g_strfreev(servers);

  gws_signaller_stop(client);
  ASSERT_TRUE(srv.wait_requests(5));
  EXPECT_EQ(srv.requests()[4].method, "DELETE");
  EXPECT_EQ(srv.requests()[4].path, "/edge/session/42");
  g_object_unref(client);
}

/* A 307/308 to another origin (another port: another origin) gets no
 * Authorization: the token is for the endpoint's origin only; a hop on
 * the same origin keeps it. */
TEST(WhipClient, SendsTheTokenToTheEndpointsOriginOnly) {
  std::string answer = make_sdp("recvonly", "srv1", true);
  ScriptServer edge(
      [&answer](SoupServerMessage *msg, const ScriptServer::Request &r) {
        if (r.method == "POST" && r.path == "/edge/whip") {
          ScriptServer::header(msg, "Location", "session/7");
          ScriptServer::reply(msg, 201, "application/sdp", answer);
        } else {
          ScriptServer::reply(msg, 204);
        }
      });
  std::string edge_url = edge.url("/edge/whip");
  ScriptServer origin(
      [&edge_url](SoupServerMessage *msg, const ScriptServer::Request &r) {
        if (r.method == "POST" && r.path == "/ingest") {
          ScriptServer::header(msg, "Location", "/hop"); /* same origin */
          ScriptServer::reply(msg, 307);
        } else if (r.method == "POST" && r.path == "/hop") {
          ScriptServer::header(msg, "Location", edge_url.c_str());
          ScriptServer::reply(msg, 308);
        } else {
          ScriptServer::reply(msg, 204);
        }
      });
  GwsSignaller *client
      = make("whip+" + origin.url("/ingest"), GWS_SIGNALLER_ROLE_PRODUCER);
  g_object_set(client, "token", "abc", nullptr);
  Recorder crec(client);
  act_as_offerer(crec, client, "sendonly", "session-requested");
  gws_signaller_start(client);
  ASSERT_TRUE(crec.wait("session-description"));
  ASSERT_TRUE(origin.wait_requests(3)); /* OPTIONS, POST, POST */
  ASSERT_TRUE(edge.wait_requests(2));   /* POST, PATCH */
  auto at_origin = without_options(origin.requests());
  ASSERT_GE(at_origin.size(), 2u);
  EXPECT_EQ(at_origin[0].path, "/ingest");
  EXPECT_EQ(at_origin[0].authorization, "Bearer abc");
  EXPECT_EQ(at_origin[1].path, "/hop");
  EXPECT_EQ(at_origin[1].authorization, "Bearer abc");
  auto at_edge = edge.requests();
  for (const auto &r : at_edge)
    EXPECT_EQ(r.authorization, "") << r.method << " " << r.path
                                   << " reached another origin with the token";
  EXPECT_EQ(at_edge[0].method, "POST");
  EXPECT_EQ(at_edge[0].path, "/edge/whip");
  EXPECT_EQ(at_edge[0].body, at_origin[0].body);
  gws_signaller_stop(client);
  g_object_unref(client);
}

TEST(WhipClient, FallsBackToFullGatheringWhenTrickleIsRefused) {
  std::string answer = make_sdp("recvonly", "srv1", true);
  ScriptServer srv(
      [&answer](SoupServerMessage *msg, const ScriptServer::Request &r) {
        if (r.method == "POST") {
          ScriptServer::header(msg, "Location", "/whip/res");
          ScriptServer::reply(msg, 201, "application/sdp", answer);
        } else if (r.method == "PATCH") {
          ScriptServer::reply(msg, 405);
        } else {
          ScriptServer::reply(msg, 200);
        }
      });
  GwsSignaller *client
      = make("whip+" + srv.url("/whip"), GWS_SIGNALLER_ROLE_PRODUCER);
  Recorder crec(client);
  act_as_offerer(crec, client, "sendonly", "session-requested");
  /* The refusal turns "trickle" off. */
  struct Flag {
    std::mutex lock;
    std::condition_variable cond;
    bool set = false;
  } refused;
  gulong h = g_signal_connect(client, "notify::trickle",
      cb([](GObject *, GParamSpec *, Flag *f) {
        std::lock_guard<std::mutex> g(f->lock);
        f->set = true;
        f->cond.notify_all();
      }),
      &refused);
  gws_signaller_start(client);
  ASSERT_TRUE(crec.wait("session-description"));
  {
    std::unique_lock<std::mutex> g(refused.lock);
    ASSERT_TRUE(refused.cond.wait_for(g, kWait, [&]() { return refused.set; }));
  }
  g_signal_handler_disconnect(client, h);
  gboolean trickle = TRUE;
  g_object_get(client, "trickle", &trickle, nullptr);
  EXPECT_FALSE(trickle);
  ASSERT_TRUE(srv.wait_requests(3)); /* OPTIONS, POST, PATCH -> 405 */
  auto first = without_options(srv.requests());
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[1].method, "PATCH");
  EXPECT_EQ(first[0].body.find("a=candidate"), std::string::npos);
  /* A fresh session: the offer now carries the candidates. */
  gws_signaller_stop(client);
  gws_signaller_start(client);
  ASSERT_TRUE(crec.wait("session-description", nullptr, 2));
  auto reqs = without_options(srv.requests());
  const ScriptServer::Request *second_post = nullptr;
  for (size_t i = 2; i < reqs.size(); i++)
    if (reqs[i].method == "POST")
      second_post = &reqs[i];
  ASSERT_NE(second_post, nullptr);
  EXPECT_NE(second_post->body.find(std::string("a=") + kClientCandidate),
      std::string::npos)
      << second_post->body;
  EXPECT_NE(second_post->body.find("a=end-of-candidates"), std::string::npos);
  for (size_t i = 2; i < reqs.size(); i++)
    EXPECT_NE(reqs[i].method, "PATCH");
  gws_signaller_stop(client);
  g_object_unref(client);
}

/* Against our servers: the client asks the endpoint for its ICE servers
 * (OPTIONS with the token) and has them in "ice-servers" when it tells the
 * bin to start, so the bin's peer connection can use them. */
void
ice_servers_before_session(bool whip) {
  const char *proto = whip ? "whip" : "whep";
  GwsSignaller *server
      = make(std::string(proto) + "-server://127.0.0.1:0/" + proto,
          whip ? GWS_SIGNALLER_ROLE_CONSUMER : GWS_SIGNALLER_ROLE_PRODUCER);
  const gchar *servers[] = {"stun://127.0.0.1:3479",
      "turn://us%40er:p%3Ass@127.0.0.1:3478?transport=udp", nullptr};
  g_object_set(server, "token", "tok", "ice-servers", servers, nullptr);
  Recorder srec(server);
  act_as_answerer(srec, server, whip ? "recvonly" : "sendonly");
  gws_signaller_start(server);
  ASSERT_TRUE(srec.wait("connection-changed"));

  GwsSignaller *client = make(std::string(proto) + "+" + endpoint_of(server),
      whip ? GWS_SIGNALLER_ROLE_PRODUCER : GWS_SIGNALLER_ROLE_CONSUMER);
  g_object_set(client, "token", "tok", nullptr);
  EXPECT_TRUE(ice_servers_of(client).empty());
  Recorder crec(client);
  const char *trigger = whip ? "session-requested" : "session-started";
  act_as_offerer(crec, client, whip ? "sendonly" : "recvonly", trigger);
  std::vector<std::string> at_start;
  auto offer = crec.on_event;
  crec.on_event = [&, client](const Recorder::Event &e) {
    if (e.name == trigger)
      at_start = ice_servers_of(client); /* before the wait() sees it */
    offer(e);
  };
  gws_signaller_start(client);
  ASSERT_TRUE(crec.wait(trigger));
  /* The credentials are percent-decoded from the Link header and encoded
   * again in webrtcbin's form: the same URLs come back. */
  EXPECT_EQ(at_start, std::vector<std::string>(servers, servers + 2));
  ASSERT_TRUE(crec.wait("session-description"));
  EXPECT_EQ(
      ice_servers_of(client), std::vector<std::string>(servers, servers + 2));
  EXPECT_EQ(crec.count_of("error"), 0u);
  gws_signaller_stop(client);
  ASSERT_TRUE(srec.wait("session-ended"));
  gws_signaller_stop(server);
  g_object_unref(client);
  g_object_unref(server);
}

TEST(WhipClient, HasOurServersIceServersBeforeTheSessionStarts) {
  ice_servers_before_session(true);
}

TEST(WhepClient, HasOurServersIceServersBeforeTheSessionStarts) {
  ice_servers_before_session(false);
}

/* A server that refuses OPTIONS (405) still gets the session; the servers
 * its 201 announces are kept for the next session, whose OPTIONS is refused
 * too. */
TEST(WhipClient, StartsWhenOptionsIsRefusedAndKeepsThe201sServers) {
  std::string answer = make_sdp("recvonly", "srv1", true);
  ScriptServer srv(
      [&answer](SoupServerMessage *msg, const ScriptServer::Request &r) {
        if (r.method == "OPTIONS") {
          ScriptServer::header(msg, "Allow", "POST");
          ScriptServer::reply(msg, 405);
        } else if (r.method == "POST") {
          ScriptServer::header(msg, "Location", "/whip/res");
          ScriptServer::header(
              msg, "Link", "<stun:10.99.0.1:3478>; rel=\"ice-server\"");
          ScriptServer::reply(msg, 201, "application/sdp", answer);
        } else {
          ScriptServer::reply(msg, 204);
        }
      });
  GwsSignaller *client
      = make("whip+" + srv.url("/whip"), GWS_SIGNALLER_ROLE_PRODUCER);
  Recorder crec(client);
  act_as_offerer(crec, client, "sendonly", "session-requested");
  std::vector<std::vector<std::string>> at_start;
  auto offer = crec.on_event;
  crec.on_event = [&, client](const Recorder::Event &e) {
    if (e.name == "session-requested")
      at_start.push_back(ice_servers_of(client));
    offer(e);
  };
  gws_signaller_start(client);
  ASSERT_TRUE(crec.wait("session-description"));
  EXPECT_EQ(crec.count_of("error"), 0u);
  EXPECT_EQ(srv.requests().at(0).method, "OPTIONS");
  EXPECT_EQ(ice_servers_of(client),
      std::vector<std::string>{"stun://10.99.0.1:3478"});

  gws_signaller_stop(client);
  gws_signaller_start(client);
  ASSERT_TRUE(crec.wait("session-description", nullptr, 2));
  ASSERT_EQ(at_start.size(), 2u);
  EXPECT_TRUE(at_start[0].empty());
  EXPECT_EQ(at_start[1], std::vector<std::string>{"stun://10.99.0.1:3478"});
  gws_signaller_stop(client);
  g_object_unref(client);
}

/* A server that never answers OPTIONS delays the session by the probe's
 * timeout (2 s), not by the HTTP timeout, and does not fail it. */
TEST(WhipClient, StartsWhenOptionsIsNotAnswered) {
  std::string answer = make_sdp("recvonly", "srv1", true);
  ScriptServer srv(
      [&answer](SoupServerMessage *msg, const ScriptServer::Request &r) {
        if (r.method == "OPTIONS") {
          soup_server_message_pause(msg); /* never answered */
        } else if (r.method == "POST") {
          ScriptServer::header(msg, "Location", "/whip/res");
          ScriptServer::reply(msg, 201, "application/sdp", answer);
        } else {
          ScriptServer::reply(msg, 204);
        }
      });
  GwsSignaller *client
      = make("whip+" + srv.url("/whip"), GWS_SIGNALLER_ROLE_PRODUCER);
  g_object_set(client, "timeout", 60u, nullptr);
  Recorder crec(client);
  act_as_offerer(crec, client, "sendonly", "session-requested");
  gws_signaller_start(client);
  ASSERT_TRUE(crec.wait("session-requested"));
  ASSERT_TRUE(crec.wait("session-description"));
  EXPECT_EQ(crec.count_of("error"), 0u);
  EXPECT_TRUE(ice_servers_of(client).empty());
  gws_signaller_stop(client);
  g_object_unref(client);
}

TEST(WhipClient, RefusalIsAnErrorWithTheServersReason) {
  ScriptServer srv([](SoupServerMessage *msg, const ScriptServer::Request &) {
    ScriptServer::reply(msg, 403, "text/plain", "stream key revoked\n");
  });
  GwsSignaller *client
      = make("whip+" + srv.url("/whip"), GWS_SIGNALLER_ROLE_PRODUCER);
  Recorder crec(client);
  act_as_offerer(crec, client, "sendonly", "session-requested");
  gws_signaller_start(client);
  Recorder::Event err, ended;
  ASSERT_TRUE(crec.wait("error", &err));
  EXPECT_NE(err.a.find("403"), std::string::npos) << err.a;
  EXPECT_NE(err.a.find("stream key revoked"), std::string::npos) << err.a;
  ASSERT_TRUE(crec.wait("session-ended", &ended));
  g_object_unref(client);
}

TEST(WhipClient, UnreachableEndpointIsAnError) {
  /* A port nobody listens on: the scripted server's, after it is gone. */
  std::string url;
  {
    ScriptServer srv([](SoupServerMessage *msg, const ScriptServer::Request &) {
      ScriptServer::reply(msg, 500);
    });
    url = srv.url("/whip");
  }
  GwsSignaller *client = make("whip+" + url, GWS_SIGNALLER_ROLE_PRODUCER);
  Recorder crec(client);
  act_as_offerer(crec, client, "sendonly", "session-requested");
  gws_signaller_start(client);
  Recorder::Event err;
  ASSERT_TRUE(crec.wait("error", &err));
  EXPECT_NE(err.a.find("could not reach"), std::string::npos) << err.a;
  g_object_unref(client);
}

TEST(WhepClient, TellsTheSrcToOffer) {
  GwsSignaller *client
      = make("whep+http://127.0.0.1:9/whep", GWS_SIGNALLER_ROLE_CONSUMER);
  gboolean offers = FALSE;
  g_object_get(client, "consumer-offers", &offers, nullptr);
  EXPECT_TRUE(offers);
  g_object_unref(client);
}

TEST(WhipSchemes, AreRegistered) {
  gchar **schemes = gws_signaller_list_schemes();
  for (const char *s : {"whip+http", "whip+https", "whep+http", "whep+https",
           "whip-server", "whep-server"})
    EXPECT_TRUE(g_strv_contains(schemes, s)) << s;
  g_strfreev(schemes);
}

int
main(int argc, char **argv) {
  gst_init(&argc, &argv);
  gws_whip_register_schemes();
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
