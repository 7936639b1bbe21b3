/* The WHIP and WHEP server signallers over plain HTTP on 127.0.0.1: what
 * RFC 9725 (and the WHEP draft) ask of a server, status code by status code.
 * The test plays the bin: it answers offers with canned SDP. No media. */
#include "gws-whip.h"
#include "whip-test-util.h"

#include <gst/gst.h>

using namespace whiptest;

namespace {

const char *kToken = "s3cret";
const char *kServerCandidate = "candidate:1 1 UDP 2122252543 127.0.0.1 40000 "
                               "typ host";
const char *kClientCandidate = "candidate:7 1 UDP 2122252543 127.0.0.1 50000 "
                               "typ host";

struct ServerFixture {
  GwsSignaller *sig = nullptr;
  std::unique_ptr<Recorder> rec;
  std::string endpoint;
  bool answer = true;

  ServerFixture(const char *uri, GwsSignallerRole role, const char *token,
      guint answer_timeout = 10000, const gchar *const *servers = nullptr) {
    GError *error = nullptr;
    sig = gws_signaller_new_for_uri(uri, role, &error);
    EXPECT_NE(sig, nullptr) << (error ? error->message : "");
    static const gchar *default_servers[]
        = {"turn://user:pa%20ss@127.0.0.1:3478?transport=udp", nullptr};
    g_object_set(sig, "token", token, "answer-timeout", answer_timeout,
        "ice-servers", servers ? servers : default_servers, nullptr);
    rec = std::make_unique<Recorder>(sig);
    /* The bin: answer every offer with one candidate, then end-of-candidates.
     */
    rec->on_event = [this](const Recorder::Event &e) {
      if (!answer)
        return;
      bool offer = (e.name == "session-description")
                   || (e.name == "session-requested" && !e.b.empty());
      if (!offer)
        return;
      bool whip = e.name == "session-description";
      GstWebRTCSessionDescription *a = make_desc(GST_WEBRTC_SDP_TYPE_ANSWER,
          make_sdp(whip ? "recvonly" : "sendonly", "srvr"));
      gws_signaller_send_sdp(sig, e.session_id.c_str(), a);
      gst_webrtc_session_description_free(a);
      gws_signaller_add_ice(
          sig, e.session_id.c_str(), kServerCandidate, 0, nullptr);
      gws_signaller_add_ice(sig, e.session_id.c_str(), nullptr, 0, nullptr);
    };
    gws_signaller_start(sig);
    EXPECT_TRUE(rec->wait("connection-changed"));
    gchar *url = nullptr;
    g_object_get(sig, "endpoint-url", &url, nullptr);
    endpoint = url ? url : "";
    g_free(url);
  }
  ~ServerFixture() {
    gws_signaller_stop(sig);
    rec.reset();
    g_object_unref(sig);
  }
};

std::map<std::string, std::string>
auth(const char *token = kToken) {
  return {{"Authorization", std::string("Bearer ") + token}};
}

std::string
resource_url(const ServerFixture &f, const HttpResponse &r) {
  std::string loc = r.header("location");
  return f.endpoint.substr(0, f.endpoint.find('/', strlen("http://"))) + loc;
}

} // namespace

TEST(WhipServer, OptionsAnswersCorsPreflightWithoutToken) {
  ServerFixture f(
      "whip-server://127.0.0.1:0/whip", GWS_SIGNALLER_ROLE_CONSUMER, kToken);
  auto r = http("OPTIONS", f.endpoint, nullptr, "",
      {{"Origin", "http://example.test"},
          {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(r.status, 204u);
  EXPECT_EQ(r.header("accept-post"), "application/sdp");
  EXPECT_EQ(r.header("access-control-allow-origin"), "*");
  EXPECT_NE(
      r.header("access-control-allow-methods").find("POST"), std::string::npos);
  EXPECT_NE(r.header("access-control-allow-headers").find("Authorization"),
      std::string::npos);
  EXPECT_NE(r.header("access-control-expose-headers").find("Location"),
      std::string::npos);
  EXPECT_NE(r.header("access-control-expose-headers").find("ETag"),
      std::string::npos);
}

/* A client asks for ICE servers with OPTIONS before it offers: the endpoint
 * answers with every configured server as a Link header, to token holders
 * only (a browser's preflight carries no token and gets no credentials). */
TEST(WhipServer, OptionsAnnouncesIceServersToTokenHolders) {
  for (const char *uri :
      {"whip-server://127.0.0.1:0/whip", "whep-server://127.0.0.1:0/whep"}) {
    bool whip = g_str_has_prefix(uri, "whip");
    const gchar *servers[] = {"stun://127.0.0.1:3479",
        "turn://user:pa%20ss@127.0.0.1:3478?transport=udp", nullptr};
    ServerFixture f(uri,
        whip ? GWS_SIGNALLER_ROLE_CONSUMER : GWS_SIGNALLER_ROLE_PRODUCER,
        kToken, 10000, servers);

    auto r = http("OPTIONS", f.endpoint, nullptr, "", auth());
    EXPECT_EQ(r.status, 204u) << uri;
    EXPECT_EQ(r.header("accept-post"), "application/sdp");
    EXPECT_EQ(r.header("access-control-allow-origin"), "*");
    EXPECT_NE(r.header("access-control-expose-headers").find("Link"),
        std::string::npos);
    EXPECT_EQ(r.header("link"),
        "<stun:127.0.0.1:3479>; rel=\"ice-server\", "
        "<turn:127.0.0.1:3478?transport=udp>; rel=\"ice-server\"; "
        "username=\"user\"; credential=\"pa ss\"; "
        "credential-type=\"password\"")
        << uri;

    /* Without the token (CORS preflight) or with a wrong one: the CORS
     * answer, no servers. */
    r = http("OPTIONS", f.endpoint, nullptr, "",
        {{"Origin", "http://example.test"},
            {"Access-Control-Request-Method", "POST"}});
    EXPECT_EQ(r.status, 204u);
    EXPECT_EQ(r.header("access-control-allow-origin"), "*");
    EXPECT_EQ(r.header("link"), "");
    r = http("OPTIONS", f.endpoint, nullptr, "", auth("wrong"));
    EXPECT_EQ(r.status, 204u);
    EXPECT_EQ(r.header("link"), "");

    /* A session resource's OPTIONS never carries them. */
    r = http("OPTIONS", f.endpoint + "/nosuch", nullptr, "", auth());
    EXPECT_EQ(r.status, 204u);
    EXPECT_EQ(r.header("link"), "");
  }
}

TEST(WhipServer, OptionsWithoutTokenConfiguredAnnouncesIceServers) {
  ServerFixture f(
      "whip-server://127.0.0.1:0/whip", GWS_SIGNALLER_ROLE_CONSUMER, nullptr);
  auto r = http("OPTIONS", f.endpoint, nullptr, "");
  EXPECT_EQ(r.status, 204u);
  EXPECT_EQ(r.header("link"),
      "<turn:127.0.0.1:3478?transport=udp>; rel=\"ice-server\"; "
      "username=\"user\"; credential=\"pa ss\"; "
      "credential-type=\"password\"");
}

TEST(WhipServer, RefusesMissingAndBadTokenWrongTypeAndBadOffers) {
  ServerFixture f(
      "whip-server://127.0.0.1:0/whip", GWS_SIGNALLER_ROLE_CONSUMER, kToken);
  std::string offer = make_sdp("sendonly", "cli1");
  auto r = http("POST", f.endpoint, "application/sdp", offer);
  EXPECT_EQ(r.status, 401u);
  EXPECT_EQ(r.header("www-authenticate"), "Bearer");
  r = http("POST", f.endpoint, "application/sdp", offer, auth("wrong"));
  EXPECT_EQ(r.status, 401u);
  r = http("POST", f.endpoint, "text/plain", offer, auth());
  EXPECT_EQ(r.status, 415u);
  EXPECT_EQ(r.header("accept-post"), "application/sdp");
  r = http("POST", f.endpoint, "application/sdp", "hello, not SDP", auth());
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.body.find("SDP"), std::string::npos) << r.body;
  r = http(
      "POST", f.endpoint, "application/sdp", make_sdp("recvonly", "c"), auth());
  EXPECT_EQ(r.status, 422u) << r.body;
  r = http("GET", f.endpoint, nullptr, "", auth());
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(f.rec->count_of("session-started"), 0u);
}

TEST(WhipServer, PublishTrickleRestartDeleteAndOnePublisherPerResource) {
  ServerFixture f("whip-server://127.0.0.1:0/live/cam1",
      GWS_SIGNALLER_ROLE_CONSUMER, kToken);
  std::string offer = make_sdp("sendonly", "cli1", true);
  auto r = http(
      "POST", f.endpoint, "application/sdp; charset=utf-8", offer, auth());
  ASSERT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/sdp");
  std::string loc = r.header("location");
  EXPECT_EQ(loc.rfind("/live/cam1/", 0), 0u) << loc;
  EXPECT_FALSE(r.header("etag").empty());
  EXPECT_NE(r.header("link").find("<turn:127.0.0.1:3478?transport=udp>; "
                                  "rel=\"ice-server\"; username=\"user\"; "
                                  "credential=\"pa ss\""),
      std::string::npos)
      << r.header("link");
  /* The answer carries the server's candidates: servers cannot trickle. */
  EXPECT_NE(
      r.body.find(std::string("a=") + kServerCandidate), std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("a=end-of-candidates"), std::string::npos);

  Recorder::Event started, desc;
  ASSERT_TRUE(f.rec->wait("session-started", &started));
  ASSERT_TRUE(f.rec->wait("session-description", &desc));
  EXPECT_EQ(started.session_id, desc.session_id);
  EXPECT_EQ(desc.b, "offer");
  EXPECT_EQ(loc, "/live/cam1/" + started.session_id);
  std::string res = resource_url(f, r);

  /* A second publisher: 503 with Retry-After. */
  auto busy = http("POST", f.endpoint, "application/sdp", offer, auth());
  EXPECT_EQ(busy.status, 503u);
  EXPECT_FALSE(busy.header("retry-after").empty());

  /* Trickle. */
  std::string frag
      = "a=ice-ufrag:cli1\r\na=ice-pwd:0123456789abcdefghijklmn\r\n"
        "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:1\r\na="
        + std::string(kClientCandidate) + "\r\na=end-of-candidates\r\n";
  EXPECT_EQ(
      http("PATCH", res, "application/trickle-ice-sdpfrag", frag, {}).status,
      401u);
  EXPECT_EQ(http("PATCH", res, "application/sdp", frag, auth()).status, 415u);
  auto bad = http("PATCH", res, "application/trickle-ice-sdpfrag",
      "this is not a fragment", auth());
  EXPECT_EQ(bad.status, 400u);
  bad = http("PATCH", res, "application/trickle-ice-sdpfrag",
      "a=candidate:garbage\r\n", auth());
  EXPECT_EQ(bad.status, 400u) << bad.body;
  auto ok = http("PATCH", res, "application/trickle-ice-sdpfrag", frag, auth());
  EXPECT_EQ(ok.status, 204u) << ok.body;
  Recorder::Event ice;
  ASSERT_TRUE(f.rec->wait("handle-ice", &ice));
  EXPECT_EQ(ice.session_id, started.session_id);
  EXPECT_EQ(ice.a, kClientCandidate);
  EXPECT_EQ(ice.mline, 1u); /* from a=mid:1 */
  EXPECT_EQ(ice.b, "1");

  /* ICE restart (new ufrag/pwd): 428 without If-Match, else 422. */
  std::string restart
      = "a=ice-ufrag:new1\r\na=ice-pwd:zyxwvutsrqponmlkjihgfedc\r\n"
        "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\n";
  EXPECT_EQ(
      http("PATCH", res, "application/trickle-ice-sdpfrag", restart, auth())
          .status,
      428u);
  auto m = auth();
  m["If-Match"] = "*";
  auto r422 = http("PATCH", res, "application/trickle-ice-sdpfrag", restart, m);
  EXPECT_EQ(r422.status, 422u);
  EXPECT_NE(r422.body.find("ICE restart"), std::string::npos);
  m["If-Match"] = "\"stale\"";
  EXPECT_EQ(
      http("PATCH", res, "application/trickle-ice-sdpfrag", frag, m).status,
      412u);

  /* DELETE: unknown 404, ours 200 and the bin hears of it. */
  EXPECT_EQ(http("DELETE", f.endpoint + "/no-such-session", nullptr, "", auth())
                .status,
      404u);
  EXPECT_EQ(http("DELETE", res, nullptr, "", {}).status, 401u);
  EXPECT_EQ(http("DELETE", res, nullptr, "", auth()).status, 200u);
  Recorder::Event ended;
  ASSERT_TRUE(f.rec->wait("session-ended", &ended));
  EXPECT_EQ(ended.session_id, started.session_id);
  EXPECT_EQ(http("DELETE", res, nullptr, "", auth()).status, 404u);
  EXPECT_EQ(http("PATCH", res, "application/trickle-ice-sdpfrag", frag, auth())
                .status,
      404u);

  /* The resource is free again. */
  EXPECT_EQ(
      http("POST", f.endpoint, "application/sdp", offer, auth()).status, 201u);
}

TEST(WhipServer, MaxSessionsAllowsMorePublishers) {
  ServerFixture f(
      "whip-server://127.0.0.1:0/whip", GWS_SIGNALLER_ROLE_CONSUMER, nullptr);
  gws_signaller_stop(f.sig);
  ASSERT_TRUE(f.rec->wait("connection-changed", nullptr, 2));
  g_object_set(f.sig, "max-sessions", 2u, nullptr);
  gws_signaller_start(f.sig);
  ASSERT_TRUE(f.rec->wait("connection-changed", nullptr, 3));
  gchar *url = nullptr;
  g_object_get(f.sig, "endpoint-url", &url, nullptr);
  std::string ep = url;
  g_free(url);
  std::string offer = make_sdp("sendonly", "cli1");
  EXPECT_EQ(http("POST", ep, "application/sdp", offer).status, 201u);
  EXPECT_EQ(http("POST", ep, "application/sdp", offer).status, 201u);
  EXPECT_EQ(http("POST", ep, "application/sdp", offer).status, 503u);
}

TEST(WhipServer, PipelineThatRefusesOrNeverAnswers) {
  ServerFixture f("whip-server://127.0.0.1:0/whip", GWS_SIGNALLER_ROLE_CONSUMER,
      nullptr, 300);
  f.answer = false;
  std::string offer = make_sdp("sendonly", "cli1");
  /* Never answers: 500 after answer-timeout, and the bin is told. */
  auto r = http("POST", f.endpoint, "application/sdp", offer);
  EXPECT_EQ(r.status, 500u);
  EXPECT_TRUE(f.rec->wait("session-ended"));
  /* Refuses (ends the session): 422. */
  f.rec->on_event = [&f](const Recorder::Event &e) {
    if (e.name == "session-description")
      gws_signaller_end_session(f.sig, e.session_id.c_str());
  };
  r = http("POST", f.endpoint, "application/sdp", offer);
  EXPECT_EQ(r.status, 422u) << r.body;
}

TEST(WhepServer, ServesManyViewersAndRefusesPublishers) {
  ServerFixture f(
      "whep-server://127.0.0.1:0/whep", GWS_SIGNALLER_ROLE_PRODUCER, kToken);
  auto r = http("OPTIONS", f.endpoint, nullptr, "");
  EXPECT_EQ(r.status, 204u);
  EXPECT_EQ(r.header("accept-post"), "application/sdp");
  r = http(
      "POST", f.endpoint, "application/sdp", make_sdp("sendonly", "v"), auth());
  EXPECT_EQ(r.status, 422u);
  r = http("POST", f.endpoint, "application/json", "{}", auth());
  EXPECT_EQ(r.status, 415u);
  r = http("POST", f.endpoint, "application/sdp", make_sdp("recvonly", "v"));
  EXPECT_EQ(r.status, 401u);

  std::vector<std::string> resources;
  for (int i = 0; i < 3; i++) {
    r = http("POST", f.endpoint, "application/sdp",
        make_sdp("recvonly", ("view" + std::to_string(i)).c_str()), auth());
    ASSERT_EQ(r.status, 201u) << r.body;
    EXPECT_NE(r.body.find("a=sendonly"), std::string::npos);
    resources.push_back(resource_url(f, r));
  }
  Recorder::Event req;
  ASSERT_TRUE(f.rec->wait("session-requested", &req, 3));
  EXPECT_NE(req.b.find("a=recvonly"), std::string::npos); /* the offer */
  EXPECT_EQ(req.a.rfind("whep:", 0), 0u);
  EXPECT_EQ(f.rec->count_of("session-started"), 0u);

  std::string frag
      = "a=ice-ufrag:view1\r\na=ice-pwd:0123456789abcdefghijklmn\r\n"
        "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\na="
        + std::string(kClientCandidate) + "\r\n";
  EXPECT_EQ(http("PATCH", resources[1], "application/trickle-ice-sdpfrag", frag,
                auth())
                .status,
      204u);
  Recorder::Event ice;
  ASSERT_TRUE(f.rec->wait("handle-ice", &ice));
  EXPECT_EQ(ice.mline, 0u);
  EXPECT_EQ(http("PATCH", resources[1], "application/trickle-ice-sdpfrag",
                "m=video 9\r\nbogus line\r\n", auth())
                .status,
      400u);
  EXPECT_EQ(http("DELETE", resources[0], nullptr, "", auth()).status, 200u);
  Recorder::Event ended;
  ASSERT_TRUE(f.rec->wait("session-ended", &ended));
  EXPECT_NE(resources[0].find(ended.session_id), std::string::npos);
  EXPECT_EQ(http("DELETE", resources[0], nullptr, "", auth()).status, 404u);
  EXPECT_EQ(http("DELETE", resources[2], nullptr, "", auth()).status, 200u);
}

TEST(WhipServer, ListenFailureIsAnError) {
  ServerFixture a(
      "whip-server://127.0.0.1:0/whip", GWS_SIGNALLER_ROLE_CONSUMER, nullptr);
  std::string port = a.endpoint.substr(strlen("http://127.0.0.1:"));
  port = port.substr(0, port.find('/'));
  std::string uri = "whip-server://127.0.0.1:" + port + "/whip";
  GwsSignaller *b = gws_signaller_new_for_uri(
      uri.c_str(), GWS_SIGNALLER_ROLE_CONSUMER, nullptr);
  ASSERT_NE(b, nullptr);
  {
    Recorder rec(b);
    gws_signaller_start(b);
    Recorder::Event e;
    ASSERT_TRUE(rec.wait("error", &e));
    EXPECT_NE(e.a.find("could not listen"), std::string::npos) << e.a;
  }
  g_object_unref(b);
}

int
main(int argc, char **argv) {
  gst_init(&argc, &argv);
  gws_whip_register_schemes();
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
