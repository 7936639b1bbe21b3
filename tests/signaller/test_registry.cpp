/* The signaller interface and its scheme registry, without sockets. */
#include "gws-signaller.h"
#include "gws-ws-signaller.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace {

/* A minimal third-party signaller: what docs/signaller.md asks of one. */
struct Calls {
  int start = 0, stop = 0, sdp = 0, ice = 0, end = 0;
  std::string last_candidate;
};

#define TEST_TYPE_SIGNALLER (test_signaller_get_type())
G_DECLARE_FINAL_TYPE(TestSignaller, test_signaller, TEST, SIGNALLER, GObject)

struct _TestSignaller {
  GObject parent;
  GwsSignallerRole role;
  gchar *uri;
  Calls *calls;
};

enum {
  PROP_0,
  PROP_ROLE,
  PROP_URI,
  PROP_SESSION_RESTARTS,
  PROP_CONSUMER_OFFERS,
  PROP_ACCEPTS_SESSIONS,
  PROP_ICE_SERVERS,
};

void test_signaller_iface_init(GwsSignallerInterface *iface);

G_DEFINE_TYPE_WITH_CODE(TestSignaller, test_signaller, G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE(GWS_TYPE_SIGNALLER, test_signaller_iface_init))

void
test_signaller_iface_init(GwsSignallerInterface *iface) {
  iface->start = [](GwsSignaller *s) { TEST_SIGNALLER(s)->calls->start++; };
  iface->stop = [](GwsSignaller *s) { TEST_SIGNALLER(s)->calls->stop++; };
  iface->send_sdp = [](GwsSignaller *s, const gchar *,
                        const GstWebRTCSessionDescription *) {
    TEST_SIGNALLER(s)->calls->sdp++;
  };
  iface->add_ice = [](GwsSignaller *s, const gchar *, const gchar *candidate,
                       guint, const gchar *) {
    TEST_SIGNALLER(s)->calls->ice++;
    TEST_SIGNALLER(s)->calls->last_candidate = candidate ? candidate : "";
  };
  iface->end_session
      = [](GwsSignaller *s, const gchar *) { TEST_SIGNALLER(s)->calls->end++; };
}

void
test_signaller_set_property(
    GObject *object, guint id, const GValue *value, GParamSpec *pspec) {
  auto *self = TEST_SIGNALLER(object);
  if (id == PROP_ROLE) {
    self->role = static_cast<GwsSignallerRole>(g_value_get_enum(value));
  } else if (id == PROP_URI) {
    g_free(self->uri);
    self->uri = g_value_dup_string(value);
  }
}

void
test_signaller_get_property(
    GObject *object, guint id, GValue *value, GParamSpec *pspec) {
  auto *self = TEST_SIGNALLER(object);
  if (id == PROP_ROLE)
    g_value_set_enum(value, self->role);
  else if (id == PROP_URI)
    g_value_set_string(value, self->uri);
  else if (id == PROP_ACCEPTS_SESSIONS)
    g_value_set_boolean(value, TRUE); /* it says it is a server */
  else if (id == PROP_SESSION_RESTARTS || id == PROP_CONSUMER_OFFERS)
    g_value_set_boolean(value, FALSE);
  else if (id == PROP_ICE_SERVERS)
    g_value_set_boxed(value, nullptr);
}

void
test_signaller_finalize(GObject *object) {
  auto *self = TEST_SIGNALLER(object);
  g_free(self->uri);
  delete self->calls;
  G_OBJECT_CLASS(test_signaller_parent_class)->finalize(object);
}

void
test_signaller_init(TestSignaller *self) {
  self->calls = new Calls;
}

void
test_signaller_class_init(TestSignallerClass *klass) {
  GObjectClass *oc = G_OBJECT_CLASS(klass);
  oc->set_property = test_signaller_set_property;
  oc->get_property = test_signaller_get_property;
  oc->finalize = test_signaller_finalize;
  g_object_class_override_property(oc, PROP_ROLE, "role");
  g_object_class_override_property(oc, PROP_URI, "uri");
  g_object_class_override_property(
      oc, PROP_SESSION_RESTARTS, "session-restarts");
  g_object_class_override_property(oc, PROP_CONSUMER_OFFERS, "consumer-offers");
  g_object_class_override_property(
      oc, PROP_ACCEPTS_SESSIONS, "accepts-sessions");
  g_object_class_override_property(oc, PROP_ICE_SERVERS, "ice-servers");
}

/* A protocol that only publishes (like a WHIP client). */
#define TEST_TYPE_PUBLISH_ONLY (test_publish_only_get_type())
G_DECLARE_FINAL_TYPE(
    TestPublishOnly, test_publish_only, TEST, PUBLISH_ONLY, TestSignaller)
struct _TestPublishOnly {
  TestSignaller parent;
};
void test_publish_only_iface_init(GwsSignallerInterface *iface);
G_DEFINE_TYPE_WITH_CODE(TestPublishOnly, test_publish_only, TEST_TYPE_SIGNALLER,
    G_IMPLEMENT_INTERFACE(GWS_TYPE_SIGNALLER, test_publish_only_iface_init))
void
test_publish_only_iface_init(GwsSignallerInterface *iface) {
  test_signaller_iface_init(iface);
  iface->supports_role = [](GwsSignallerRole role) -> gboolean {
    return role == GWS_SIGNALLER_ROLE_PRODUCER;
  };
}
void
test_publish_only_init(TestPublishOnly *) {}
void
test_publish_only_class_init(TestPublishOnlyClass *) {}

class Registry : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { gst_init(nullptr, nullptr); }
};

TEST_F(Registry, BuiltinSchemesMakeTheWebSocketSignaller) {
  for (const char *uri : {"ws://127.0.0.1:8443/?peer-id=cam1",
           "wss://example.invalid/", "WS://127.0.0.1:1/"}) {
    g_autoptr(GError) err = nullptr;
    g_autoptr(GwsSignaller) s
        = gws_signaller_new_for_uri(uri, GWS_SIGNALLER_ROLE_CONSUMER, &err);
    ASSERT_NE(s, nullptr) << uri << ": " << err->message;
    EXPECT_TRUE(GWS_IS_WS_SIGNALLER(s));
    EXPECT_EQ(gws_signaller_get_role(s), GWS_SIGNALLER_ROLE_CONSUMER);
    g_autofree gchar *got = nullptr;
    g_object_get(s, "uri", &got, nullptr);
    EXPECT_STREQ(got, uri);
  }
}

TEST_F(Registry, UnknownSchemeIsAClearError) {
  g_autoptr(GError) err = nullptr;
  GwsSignaller *s = gws_signaller_new_for_uri(
      "whep://127.0.0.1/x", GWS_SIGNALLER_ROLE_PRODUCER, &err);
  EXPECT_EQ(s, nullptr);
  ASSERT_NE(err, nullptr);
  EXPECT_TRUE(g_error_matches(
      err, GWS_SIGNALLER_ERROR, GWS_SIGNALLER_ERROR_UNKNOWN_SCHEME));
  std::string msg = err->message;
  EXPECT_NE(msg.find("\"whep\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("ws, wss"), std::string::npos) << msg;
}

TEST_F(Registry, BadUriIsAClearError) {
  for (const char *uri : {"", "not a uri", "127.0.0.1:8443"}) {
    g_autoptr(GError) err = nullptr;
    GwsSignaller *s
        = gws_signaller_new_for_uri(uri, GWS_SIGNALLER_ROLE_PRODUCER, &err);
    EXPECT_EQ(s, nullptr) << uri;
    ASSERT_NE(err, nullptr) << uri;
    EXPECT_TRUE(
        g_error_matches(err, GWS_SIGNALLER_ERROR, GWS_SIGNALLER_ERROR_BAD_URI)
        || g_error_matches(
            err, GWS_SIGNALLER_ERROR, GWS_SIGNALLER_ERROR_UNKNOWN_SCHEME))
        << uri << ": " << err->message;
  }
  g_autoptr(GError) err = nullptr;
  EXPECT_EQ(
      gws_signaller_new_for_uri("not a uri", GWS_SIGNALLER_ROLE_PRODUCER, &err),
      nullptr);
  EXPECT_TRUE(
      g_error_matches(err, GWS_SIGNALLER_ERROR, GWS_SIGNALLER_ERROR_BAD_URI));
}

TEST_F(Registry, ThirdPartySchemeAndMethodsDispatch) {
  gws_signaller_register_scheme("test", TEST_TYPE_SIGNALLER);
  g_auto(GStrv) schemes = gws_signaller_list_schemes();
  EXPECT_TRUE(g_strv_contains(schemes, "test"));
  EXPECT_TRUE(g_strv_contains(schemes, "ws"));

  g_autoptr(GError) err = nullptr;
  g_autoptr(GwsSignaller) s = gws_signaller_new_for_uri(
      "test://anything", GWS_SIGNALLER_ROLE_CONSUMER, &err);
  ASSERT_NE(s, nullptr) << err->message;
  auto *t = TEST_SIGNALLER(s);
  EXPECT_EQ(t->role, GWS_SIGNALLER_ROLE_CONSUMER);
  EXPECT_STREQ(t->uri, "test://anything");

  GstSDPMessage *sdp = nullptr;
  ASSERT_EQ(gst_sdp_message_new_from_text(
                "v=0\r\no=- 1 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", &sdp),
      GST_SDP_OK);
  GstWebRTCSessionDescription *desc
      = gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_OFFER, sdp);

  gws_signaller_start(s);
  gws_signaller_send_sdp(s, "s1", desc);
  gws_signaller_add_ice(
      s, "s1", "candidate:1 1 UDP 1 127.0.0.1 9 typ host", 0, nullptr);
  gws_signaller_add_ice(s, "s1", nullptr, 0, nullptr);
  gws_signaller_end_session(s, "s1");
  gws_signaller_stop(s);
  EXPECT_EQ(t->calls->start, 1);
  EXPECT_EQ(t->calls->sdp, 1);
  EXPECT_EQ(t->calls->ice, 2);
  EXPECT_EQ(t->calls->last_candidate, "");
  EXPECT_EQ(t->calls->end, 1);
  EXPECT_EQ(t->calls->stop, 1);

  /* Emitters reach handlers with their arguments; "error" is detailed. */
  std::string got_sid, got_type;
  g_signal_connect(s, "session-description",
      G_CALLBACK(+[](GwsSignaller *, const gchar *sid,
                      GstWebRTCSessionDescription *d, gpointer data) {
        *static_cast<std::string *>(data)
            = std::string(sid) + ":" + gst_webrtc_sdp_type_to_string(d->type);
      }),
      &got_sid);
  gws_signaller_emit_session_description(s, "s1", desc);
  EXPECT_EQ(got_sid, "s1:offer");

  int fatal = 0, retrying = 0, any = 0;
  g_signal_connect(s, "error::fatal",
      G_CALLBACK(+[](GwsSignaller *, const gchar *, gpointer n) {
        ++*static_cast<int *>(n);
      }),
      &fatal);
  g_signal_connect(s, "error::retrying",
      G_CALLBACK(+[](GwsSignaller *, const gchar *, gpointer n) {
        ++*static_cast<int *>(n);
      }),
      &retrying);
  g_signal_connect(s, "error",
      G_CALLBACK(+[](GwsSignaller *, const gchar *, gpointer n) {
        ++*static_cast<int *>(n);
      }),
      &any);
  gws_signaller_emit_error(s, "token refused");
  gws_signaller_emit_error_full(s, "relay unreachable", FALSE);
  EXPECT_EQ(fatal, 1);
  EXPECT_EQ(retrying, 1);
  EXPECT_EQ(any, 2);

  gst_webrtc_session_description_free(desc);
}

TEST_F(Registry, OneWaySignallerRefusesTheOtherRoleNamingTheElement) {
  gws_signaller_register_scheme("pubonly", TEST_TYPE_PUBLISH_ONLY);
  EXPECT_TRUE(gws_signaller_type_supports_role(
      TEST_TYPE_PUBLISH_ONLY, GWS_SIGNALLER_ROLE_PRODUCER));
  EXPECT_FALSE(gws_signaller_type_supports_role(
      TEST_TYPE_PUBLISH_ONLY, GWS_SIGNALLER_ROLE_CONSUMER));
  EXPECT_TRUE(gws_signaller_type_supports_role(
      GWS_TYPE_WS_SIGNALLER, GWS_SIGNALLER_ROLE_CONSUMER));

  g_autoptr(GError) err = nullptr;
  GwsSignaller *s = gws_signaller_new_for_uri(
      "pubonly://x", GWS_SIGNALLER_ROLE_CONSUMER, &err);
  EXPECT_EQ(s, nullptr);
  ASSERT_NE(err, nullptr);
  EXPECT_TRUE(g_error_matches(
      err, GWS_SIGNALLER_ERROR, GWS_SIGNALLER_ERROR_WRONG_ROLE));
  std::string msg = err->message;
  EXPECT_NE(msg.find("a pubonly:// signaller publishes media, so it belongs "
                     "on webrtcsink, not webrtcsrc"),
      std::string::npos)
      << msg;
  EXPECT_NE(msg.find("ws://"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("pubonly://,"), std::string::npos) << msg;

  g_autoptr(GwsSignaller) ok = gws_signaller_new_for_uri(
      "pubonly://x", GWS_SIGNALLER_ROLE_PRODUCER, nullptr);
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(gws_signaller_check_role(ok, GWS_SIGNALLER_ROLE_PRODUCER), nullptr);
  g_autofree gchar *wrong
      = gws_signaller_check_role(ok, GWS_SIGNALLER_ROLE_CONSUMER);
  ASSERT_NE(wrong, nullptr);
  EXPECT_NE(std::string(wrong).find("belongs on webrtcsink, not webrtcsrc"),
      std::string::npos)
      << wrong;

  /* Both roles, but made for the other one. */
  g_autoptr(GwsSignaller) ws = gws_signaller_new_for_uri(
      "ws://127.0.0.1:1/", GWS_SIGNALLER_ROLE_PRODUCER, nullptr);
  g_autofree gchar *mismatch
      = gws_signaller_check_role(ws, GWS_SIGNALLER_ROLE_CONSUMER);
  ASSERT_NE(mismatch, nullptr);
  EXPECT_NE(std::string(mismatch).find("role producer (for webrtcsink)"),
      std::string::npos)
      << mismatch;
}

/* The capabilities are interface properties: every signaller has them,
 * read-only, with a blurb gst-inspect shows; the getters read the value
 * each implementation gives. */
TEST_F(Registry, CapabilitiesAreInterfaceProperties) {
  gpointer iface = g_type_default_interface_ref(GWS_TYPE_SIGNALLER);
  for (const char *name : {"session-restarts", "consumer-offers",
           "accepts-sessions", "ice-servers"}) {
    GParamSpec *p = g_object_interface_find_property(iface, name);
    ASSERT_NE(p, nullptr) << name;
    EXPECT_TRUE(p->flags & G_PARAM_READABLE) << name;
    EXPECT_FALSE(p->flags & G_PARAM_WRITABLE) << name;
    EXPECT_GT(strlen(g_param_spec_get_blurb(p)), 20u) << name;
  }
  g_type_default_interface_unref(iface);

  GwsSignaller *ws = gws_signaller_new_for_uri(
      "ws://127.0.0.1:1/", GWS_SIGNALLER_ROLE_CONSUMER, nullptr);
  ASSERT_NE(ws, nullptr);
  EXPECT_TRUE(gws_signaller_get_session_restarts(ws));
  EXPECT_FALSE(gws_signaller_get_consumer_offers(ws));
  EXPECT_FALSE(gws_signaller_get_accepts_sessions(ws));
  EXPECT_EQ(gws_signaller_dup_announced_ice_servers(ws), nullptr);
  g_object_unref(ws);

  auto *t = static_cast<TestSignaller *>(g_object_new(
      TEST_TYPE_SIGNALLER, "role", GWS_SIGNALLER_ROLE_CONSUMER, nullptr));
  EXPECT_TRUE(gws_signaller_get_accepts_sessions(GWS_SIGNALLER(t)));
  EXPECT_FALSE(gws_signaller_get_session_restarts(GWS_SIGNALLER(t)));
  g_object_unref(t);
}

TEST_F(Registry, WebSocketSignallerProperties) {
  g_autoptr(GwsSignaller) producer = gws_ws_signaller_new(
      GWS_SIGNALLER_ROLE_PRODUCER, "ws://127.0.0.1:8443/?peer-id=cam1");
  g_autofree gchar *claim = nullptr, *target = nullptr;
  g_object_get(
      producer, "peer-id", &claim, "producer-peer-id", &target, nullptr);
  EXPECT_STREQ(claim, "cam1");
  EXPECT_EQ(target, nullptr);

  g_autoptr(GwsSignaller) consumer = gws_ws_signaller_new(
      GWS_SIGNALLER_ROLE_CONSUMER, "ws://127.0.0.1:8443/?peer-id=cam1");
  g_autofree gchar *claim2 = nullptr, *target2 = nullptr;
  g_object_get(
      consumer, "peer-id", &claim2, "producer-peer-id", &target2, nullptr);
  EXPECT_EQ(claim2, nullptr);
  EXPECT_STREQ(target2, "cam1");

  gboolean tls = FALSE;
  g_object_get(consumer, "tls-validation", &tls, nullptr);
  EXPECT_TRUE(tls);
}

} // namespace
