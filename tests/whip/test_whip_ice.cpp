/* ICE servers announced by a WHIP/WHEP endpoint reach the peer connection.
 *
 *  - IceConfig.*: ice_config_add_servers() and
 *    ice_config_add_signaller_servers() merge the servers into the element's
 *    settings (the element's own STUN server wins; TURN servers add up);
 *    only a signaller's read-only "ice-servers" (what the remote end said)
 *    counts, not the servers' writable one (what they announce).
 *  - WhipIce.*: the whole path, as webrtcsink does it: our WHIP server
 *    announces a STUN and a TURN server on 127.0.0.1 (UDP sockets this test
 *    holds), our WHIP client fetches them by OPTIONS, and on
 *    session-requested the merged IceConfig makes a webrtcbin whose
 *    stun-server is set and which, once it gathers, sends a STUN Binding
 *    request to the STUN server and a TURN Allocate request to the TURN
 *    server. Run in a private network namespace (run-netns.sh; ICE on
 *    127.0.0.1 only). */
#include "gws-candidate-stats.h"
#include "gws-ice.h"
#include "gws-whip.h"
#include "whip-test-util.h"

#include <gio/gio.h>
#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

using namespace whiptest;

namespace {

/* A UDP socket on 127.0.0.1 standing in for a STUN or TURN server: it only
 * reads the first STUN message it receives. */
struct FakeIceServer {
  GSocket *socket = nullptr;
  guint16 port = 0;

  FakeIceServer() {
    GError *error = nullptr;
    socket = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
        G_SOCKET_PROTOCOL_UDP, &error);
    g_assert_no_error(error);
    GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    GSocketAddress *addr = g_inet_socket_address_new(lo, 0);
    g_socket_bind(socket, addr, TRUE, &error);
    g_assert_no_error(error);
    g_object_unref(addr);
    g_object_unref(lo);
    GSocketAddress *bound = g_socket_get_local_address(socket, &error);
    g_assert_no_error(error);
    port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
    g_object_unref(bound);
  }
  ~FakeIceServer() { g_object_unref(socket); }

  /* The STUN message type of the first datagram (0 on timeout or when it
   * is not STUN). */
  guint16 receive_stun_type() {
    GError *error = nullptr;
    if (!g_socket_condition_timed_wait(
            socket, G_IO_IN, 10 * G_USEC_PER_SEC, nullptr, &error)) {
      ADD_FAILURE() << "no datagram on port " << port << ": " << error->message;
      g_error_free(error);
      return 0;
    }
    guint8 buf[1500];
    gssize n = g_socket_receive(
        socket, reinterpret_cast<gchar *>(buf), sizeof buf, nullptr, &error);
    if (n < 20) {
      ADD_FAILURE() << "short datagram (" << n << ") on port " << port;
      g_clear_error(&error);
      return 0;
    }
    /* A STUN header: two zero bits, then the type; the length counts what
     * follows the 20-byte header. libnice's server-reflexive discovery
     * speaks RFC 3489 (no magic cookie), so the cookie is not required. */
    guint16 length = static_cast<guint16>((buf[2] << 8) | buf[3]);
    if ((buf[0] & 0xC0) != 0 || length + 20 != n) {
      ADD_FAILURE() << "not a STUN message on port " << port << " (" << n
                    << " bytes)";
      return 0;
    }
    return static_cast<guint16>((buf[0] << 8) | buf[1]);
  }
};

constexpr guint16 kStunBindingRequest = 0x0001;
constexpr guint16 kTurnAllocateRequest = 0x0003;

GwsSignaller *
make(const std::string &uri, GwsSignallerRole role) {
  GError *error = nullptr;
  GwsSignaller *s = gws_signaller_new_for_uri(uri.c_str(), role, &error);
  EXPECT_NE(s, nullptr) << (error ? error->message : "");
  g_clear_error(&error);
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

/* A WHIP server whose bin answers every offer with canned SDP. */
struct AnsweringServer {
  GwsSignaller *sig;
  std::unique_ptr<Recorder> rec;

  explicit AnsweringServer(const gchar *const *ice_servers) {
    sig = make("whip-server://127.0.0.1:0/whip", GWS_SIGNALLER_ROLE_CONSUMER);
    g_object_set(sig, "token", "tok", "ice-servers", ice_servers, nullptr);
    rec = std::make_unique<Recorder>(sig);
    rec->on_event = [this](const Recorder::Event &e) {
      if (e.name != "session-description")
        return;
      GstWebRTCSessionDescription *a = make_desc(
          GST_WEBRTC_SDP_TYPE_ANSWER, make_sdp("recvonly", "srv1", true));
      gws_signaller_send_sdp(sig, e.session_id.c_str(), a);
      gst_webrtc_session_description_free(a);
      gws_signaller_add_ice(sig, e.session_id.c_str(), nullptr, 0, nullptr);
    };
    gws_signaller_start(sig);
    EXPECT_TRUE(rec->wait("connection-changed"));
  }
  ~AnsweringServer() {
    gws_signaller_stop(sig);
    rec.reset();
    g_object_unref(sig);
  }
};

} // namespace

TEST(IceConfig, FirstStunWinsUnlessSetAndTurnServersAddUp) {
  std::vector<std::string> urls = {"stun://10.0.0.1:3478",
      "stun://10.0.0.2:3478", "turn://u:p%20w@10.0.0.3:3478?transport=udp",
      "TURNS://u:p@turn.example.net:5349", "stuns://10.0.0.4:5349",
      "https://example.net/", "not a url",
      "turn://u:p%20w@10.0.0.3:3478?transport=udp"};
  gws::IceConfig ice;
  ice.turn_servers = {"turn://a:b@10.0.0.9:3478"};
  EXPECT_EQ(gws::ice_config_add_servers(ice, urls), 3u);
  EXPECT_EQ(ice.stun_server, "stun://10.0.0.1:3478");
  EXPECT_EQ(
      ice.turn_servers, (std::vector<std::string>{"turn://a:b@10.0.0.9:3478",
                            "turn://u:p%20w@10.0.0.3:3478?transport=udp",
                            "TURNS://u:p@turn.example.net:5349"}));

  /* The element's own STUN server is kept. */
  gws::IceConfig own;
  own.stun_server = "stun://192.0.2.1:3478";
  gws::ice_config_add_servers(own, urls);
  EXPECT_EQ(own.stun_server, "stun://192.0.2.1:3478");
  EXPECT_EQ(own.turn_servers.size(), 2u);
}

/* The relay protocol `stats` names for a relayed candidate comes from the
 * URL of its TURN server (gws-candidate-stats.h). */
TEST(IceConfig, TurnUrlProtocolAndServer) {
  std::string host;
  guint port = 0;
  EXPECT_EQ(
      gws::turn_url_protocol("turn://u:p@10.0.0.1:3479", &host, &port), "udp");
  EXPECT_EQ(host, "10.0.0.1");
  EXPECT_EQ(port, 3479u);
  EXPECT_EQ(
      gws::turn_url_protocol("turn://u:p@10.0.0.1?transport=tcp", &host, &port),
      "tcp");
  EXPECT_EQ(port, 3478u);
  EXPECT_EQ(gws::turn_url_protocol("TURNS://u:p@[::1]", &host, &port), "tls");
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 5349u);
  EXPECT_EQ(gws::turn_url_protocol("turn://u:p@h:1?transport=udp"), "udp");
  EXPECT_EQ(gws::turn_url_protocol("stun://10.0.0.1:3478"), "");
  EXPECT_EQ(gws::turn_url_protocol("not a url"), "");
}

TEST(IceConfig, TakesOnlyWhatTheRemoteEndAnnounced) {
  const gchar *servers[] = {"stun://127.0.0.1:3479",
      "turn://user:pa%20ss@127.0.0.1:3478?transport=udp", nullptr};
  AnsweringServer server(servers);

  /* The server's own ice-servers (writable: what it announces) are not
   * applied to the server side's peer connection. */
  gws::IceConfig ice;
  gws::ice_config_add_signaller_servers(ice, G_OBJECT(server.sig));
  EXPECT_TRUE(ice.stun_server.empty());
  EXPECT_TRUE(ice.turn_servers.empty());
  /* A signaller without the property, and none at all: nothing. */
  GwsSignaller *ws = make("ws://127.0.0.1:9/", GWS_SIGNALLER_ROLE_PRODUCER);
  gws::ice_config_add_signaller_servers(ice, G_OBJECT(ws));
  gws::ice_config_add_signaller_servers(ice, nullptr);
  EXPECT_TRUE(ice.stun_server.empty());
  EXPECT_TRUE(ice.turn_servers.empty());
  g_object_unref(ws);

  /* The client, at session-requested (where the sink makes its
   * webrtcbin), has what the server's OPTIONS announced. */
  GwsSignaller *client
      = make("whip+" + endpoint_of(server.sig), GWS_SIGNALLER_ROLE_PRODUCER);
  g_object_set(client, "token", "tok", nullptr);
  Recorder crec(client);
  gws::IceConfig merged;
  merged.turn_servers = {"turn://own:pw@127.0.0.1:4000"};
  crec.on_event = [&merged, client](const Recorder::Event &e) {
    if (e.name == "session-requested")
      gws::ice_config_add_signaller_servers(merged, G_OBJECT(client));
  };
  gws_signaller_start(client);
  ASSERT_TRUE(crec.wait("session-requested"));
  EXPECT_EQ(merged.stun_server, "stun://127.0.0.1:3479");
  EXPECT_EQ(merged.turn_servers,
      (std::vector<std::string>{"turn://own:pw@127.0.0.1:4000",
          "turn://user:pa%20ss@127.0.0.1:3478?transport=udp"}));
  gws_signaller_stop(client);
  g_object_unref(client);
}

TEST(WhipIce, WebrtcbinUsesTheServersTheEndpointAnnounced) {
  FakeIceServer stun, turn;
  std::string stun_url = "stun://127.0.0.1:" + std::to_string(stun.port);
  std::string turn_url = "turn://user:pa%20ss@127.0.0.1:"
                         + std::to_string(turn.port) + "?transport=udp";
  const gchar *servers[] = {stun_url.c_str(), turn_url.c_str(), nullptr};
  AnsweringServer server(servers);

  GwsSignaller *client
      = make("whip+" + endpoint_of(server.sig), GWS_SIGNALLER_ROLE_PRODUCER);
  g_object_set(client, "token", "tok", nullptr);
  Recorder crec(client);
  /* What webrtcsink does on session-requested: element settings, merged
   * with the signaller's servers, make the webrtcbin. */
  GstElement *webrtc = nullptr;
  std::string make_error;
  crec.on_event = [&, client](const Recorder::Event &e) {
    if (e.name != "session-requested")
      return;
    gws::IceConfig ice;
    ice.addresses = {"127.0.0.1"};
    gws::ice_config_add_signaller_servers(ice, G_OBJECT(client));
    GError *error = nullptr;
    webrtc = gws::make_webrtcbin("consumer", ice, &error);
    if (!webrtc) {
      make_error = error->message;
      g_error_free(error);
    }
  };
  gws_signaller_start(client);
  ASSERT_TRUE(crec.wait("session-requested"));
  ASSERT_NE(webrtc, nullptr) << make_error;
  gst_object_ref_sink(webrtc);

  gchar *stun_server = nullptr;
  g_object_get(webrtc, "stun-server", &stun_server, nullptr);
  EXPECT_STREQ(stun_server, stun_url.c_str());
  g_free(stun_server);

  /* Gathering contacts both servers. */
  ASSERT_EQ(gst_element_set_state(webrtc, GST_STATE_PLAYING),
      GST_STATE_CHANGE_SUCCESS);
  GstCaps *caps = gst_caps_from_string("application/x-rtp,media=video,"
                                       "encoding-name=VP8,payload=96,"
                                       "clock-rate=90000");
  GstWebRTCRTPTransceiver *trans = nullptr;
  g_signal_emit_by_name(webrtc, "add-transceiver",
      GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, caps, &trans);
  gst_caps_unref(caps);
  ASSERT_NE(trans, nullptr);
  gst_object_unref(trans);
  GstPromise *promise = gst_promise_new();
  g_signal_emit_by_name(webrtc, "create-offer", nullptr, promise);
  ASSERT_EQ(gst_promise_wait(promise), GST_PROMISE_RESULT_REPLIED);
  GstWebRTCSessionDescription *offer = nullptr;
  gst_structure_get(gst_promise_get_reply(promise), "offer",
      GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, nullptr);
  gst_promise_unref(promise);
  ASSERT_NE(offer, nullptr);
  promise = gst_promise_new();
  g_signal_emit_by_name(webrtc, "set-local-description", offer, promise);
  gst_promise_wait(promise);
  gst_promise_unref(promise);
  gst_webrtc_session_description_free(offer);

  EXPECT_EQ(stun.receive_stun_type(), kStunBindingRequest);
  EXPECT_EQ(turn.receive_stun_type(), kTurnAllocateRequest);

  gst_element_set_state(webrtc, GST_STATE_NULL);
  gst_object_unref(webrtc);
  gws_signaller_stop(client);
  g_object_unref(client);
}

int
main(int argc, char **argv) {
  gst_init(&argc, &argv);
  gws_signaller_register_builtin();
  gws_whip_register_schemes();
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
