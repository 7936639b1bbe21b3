/* The Janus protocol helpers (signaling/janus/janus-protocol.*): URI
 * parsing, the requests we build, and the events we read. */
#include "janus-protocol.h"

#include <gtest/gtest.h>

namespace jp = gws::janus;

namespace {

JsonObject *
object_of(JsonNode *n) {
  return json_node_get_object(n);
}

/* Parses @text as JSON (owned by the caller). */
JsonNode *
json(const std::string &text) {
  JsonNode *n = json_from_string(text.c_str(), nullptr);
  EXPECT_NE(n, nullptr) << text;
  return n;
}

} // namespace

TEST(JanusUri, PublisherForm) {
  std::string err;
  auto t = jp::parse_uri(
      "janus+ws://10.0.0.1:8188/?room=1234&display=Hall%20cam&pin=42&"
      "bitrate=500000",
      err);
  ASSERT_TRUE(t) << err;
  EXPECT_EQ(t->ws_url, "ws://10.0.0.1:8188/");
  EXPECT_FALSE(t->tls);
  EXPECT_EQ(t->room, "1234");
  EXPECT_EQ(t->display, "Hall cam");
  EXPECT_EQ(t->pin, "42");
  EXPECT_EQ(t->bitrate, 500000u);
}

TEST(JanusUri, TlsAndPath) {
  std::string err;
  auto t
      = jp::parse_uri("janus+wss://sfu.example/janus-ws?room=r1&feed=7", err);
  ASSERT_TRUE(t) << err;
  EXPECT_TRUE(t->tls);
  EXPECT_EQ(t->ws_url, "wss://sfu.example/janus-ws");
  EXPECT_EQ(t->feed, "7");
}

TEST(JanusUri, Refusals) {
  std::string err;
  EXPECT_FALSE(jp::parse_uri("janus+ws://h:1/", err));
  EXPECT_NE(err.find("names no room"), std::string::npos) << err;
  EXPECT_FALSE(jp::parse_uri("ws://h:1/?room=1", err));
  EXPECT_NE(err.find("janus+ws://"), std::string::npos) << err;
  EXPECT_FALSE(jp::parse_uri("janus+ws://h:1/?room=1&colour=red", err));
  EXPECT_NE(err.find("unknown parameter \"colour\""), std::string::npos);
  EXPECT_FALSE(jp::parse_uri("janus+ws://h:1/?room=1&bitrate=fast", err));
  EXPECT_FALSE(jp::parse_uri("not a uri", err));
}

TEST(JanusMessages, JoinPublisherNumbersAndStrings) {
  jp::Target t;
  t.room = "1234";
  t.display = "cam";
  t.feed = "abc";
  g_autoptr(JsonNode) n = json(jp::body_join_publisher(t));
  JsonObject *o = object_of(n);
  EXPECT_STREQ(json_object_get_string_member(o, "request"), "join");
  EXPECT_STREQ(json_object_get_string_member(o, "ptype"), "publisher");
  EXPECT_EQ(json_object_get_int_member(o, "room"), 1234);
  EXPECT_STREQ(json_object_get_string_member(o, "id"), "abc");
  EXPECT_STREQ(json_object_get_string_member(o, "display"), "cam");
}

TEST(JanusMessages, MessageWithJsepAndToken) {
  jp::Target t;
  t.room = "1";
  t.token = "tok";
  g_autoptr(JsonNode) n = json(jp::make_message(
      "tx1", 11, 22, t, jp::body_start(), "answer", "v=0\r\n"));
  JsonObject *o = object_of(n);
  EXPECT_STREQ(json_object_get_string_member(o, "janus"), "message");
  EXPECT_STREQ(json_object_get_string_member(o, "transaction"), "tx1");
  EXPECT_STREQ(json_object_get_string_member(o, "token"), "tok");
  EXPECT_EQ(json_object_get_int_member(o, "session_id"), 11);
  EXPECT_EQ(json_object_get_int_member(o, "handle_id"), 22);
  JsonObject *body = json_object_get_object_member(o, "body");
  EXPECT_STREQ(json_object_get_string_member(body, "request"), "start");
  JsonObject *jsep = json_object_get_object_member(o, "jsep");
  EXPECT_STREQ(json_object_get_string_member(jsep, "type"), "answer");
  EXPECT_STREQ(json_object_get_string_member(jsep, "sdp"), "v=0\r\n");
}

TEST(JanusMessages, TrickleAndCompleted) {
  jp::Target t;
  g_autoptr(JsonNode) n = json(jp::make_trickle(
      "t", 1, 2, t, "candidate:1 1 UDP 1 10.0.0.1 5 typ host", 0, nullptr));
  JsonObject *c = json_object_get_object_member(object_of(n), "candidate");
  EXPECT_EQ(json_object_get_int_member(c, "sdpMLineIndex"), 0);
  EXPECT_FALSE(json_object_has_member(c, "sdpMid"));
  g_autoptr(JsonNode) done = json(jp::make_trickle("t", 1, 2, t, "", 0, "0"));
  JsonObject *d = json_object_get_object_member(object_of(done), "candidate");
  EXPECT_TRUE(json_object_get_boolean_member(d, "completed"));
}

TEST(JanusMessages, SubscriberJoinNamesTheFeed) {
  jp::Target t;
  t.room = "5";
  t.pin = "p";
  g_autoptr(JsonNode) n = json(jp::body_join_subscriber(t, "99"));
  JsonObject *o = object_of(n);
  EXPECT_STREQ(json_object_get_string_member(o, "ptype"), "subscriber");
  JsonArray *streams = json_object_get_array_member(o, "streams");
  ASSERT_EQ(json_array_get_length(streams), 1u);
  EXPECT_EQ(json_object_get_int_member(
                json_array_get_object_element(streams, 0), "feed"),
      99);
  EXPECT_STREQ(json_object_get_string_member(o, "pin"), "p");
}

TEST(JanusMessages, OfferCodecs) {
  std::string v, a;
  jp::offer_codecs("v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
                   "m=video 9 UDP/TLS/RTP/SAVPF 97 98 96\r\n"
                   "a=rtpmap:96 VP8/90000\r\na=rtpmap:97 H264/90000\r\n"
                   "a=rtpmap:98 rtx/90000\r\n"
                   "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
                   "a=rtpmap:111 OPUS/48000/2\r\n",
      v, a);
  EXPECT_EQ(v, "h264,vp8");
  EXPECT_EQ(a, "opus");
}

TEST(JanusIncoming, PluginEventWithErrorAndJsep) {
  std::string err;
  auto in = jp::parse(
      R"({"janus":"event","session_id":1,"sender":2,"transaction":"x",)"
      R"("plugindata":{"plugin":"janus.plugin.videoroom","data":)"
      R"j({"videoroom":"event","error_code":426,"error":"No such room (9)"}}})j",
      err);
  ASSERT_TRUE(in) << err;
  EXPECT_EQ(in->janus, "event");
  EXPECT_EQ(in->sender, 2u);
  EXPECT_EQ(in->error_code, 426);
  EXPECT_EQ(in->error_reason, "No such room (9)");

  auto ans = jp::parse(
      R"({"janus":"event","plugindata":{"data":{"videoroom":"event",)"
      R"("configured":"ok"}},"jsep":{"type":"answer","sdp":"v=0"}})",
      err);
  ASSERT_TRUE(ans);
  EXPECT_EQ(ans->videoroom, "event");
  EXPECT_EQ(ans->jsep_type, "answer");
  EXPECT_EQ(ans->jsep_sdp, "v=0");
}

TEST(JanusIncoming, CoreEvents) {
  std::string err;
  auto tr
      = jp::parse(R"({"janus":"trickle","session_id":1,"sender":2,)"
                  R"("candidate":{"candidate":"candidate:1 1 udp 1 )"
                  R"(10.0.0.1 9 typ host","sdpMid":"0","sdpMLineIndex":1}})",
          err);
  ASSERT_TRUE(tr);
  EXPECT_TRUE(tr->has_candidate);
  EXPECT_FALSE(tr->candidates_completed);
  EXPECT_EQ(tr->candidate_mline, 1u);
  EXPECT_EQ(tr->candidate_mid, "0");
  auto done
      = jp::parse(R"({"janus":"trickle","candidate":{"completed":true}})", err);
  ASSERT_TRUE(done);
  EXPECT_TRUE(done->candidates_completed);
  auto media = jp::parse(
      R"({"janus":"media","type":"video","mid":"0","receiving":true})", err);
  ASSERT_TRUE(media);
  EXPECT_EQ(media->media_type, "video");
  EXPECT_TRUE(media->receiving);
  auto core_err = jp::parse(
      R"({"janus":"error","error":{"code":403,"reason":"Unauthorized"}})", err);
  ASSERT_TRUE(core_err);
  EXPECT_EQ(core_err->error_code, 403);
}

TEST(JanusIncoming, Garbage) {
  std::string err;
  EXPECT_FALSE(jp::parse("", err));
  EXPECT_FALSE(jp::parse("[1,2]", err));
  EXPECT_FALSE(jp::parse(R"({"nojanus":1})", err));
  EXPECT_FALSE(jp::parse("{\"janus\":", err));
  /* Wrong types are ignored, not trusted. */
  auto odd
      = jp::parse(R"({"janus":"event","sender":"x","plugindata":{"data":[1]},)"
                  R"("jsep":{"type":1}})",
          err);
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->sender, 0u);
  EXPECT_EQ(odd->plugin_data, nullptr);
  EXPECT_TRUE(odd->jsep_type.empty());
}

TEST(JanusIncoming, FindPublisher) {
  std::string err;
  auto in = jp::parse(
      R"({"janus":"success","plugindata":{"data":{"videoroom":"participants",)"
      R"("participants":[{"id":1,"display":"a","publisher":false},)"
      R"({"id":2,"display":"a","publisher":true},{"id":3,"publisher":true}]}}})",
      err);
  ASSERT_TRUE(in);
  EXPECT_EQ(jp::find_publisher(*in, "", "a"), "2");
  EXPECT_EQ(jp::find_publisher(*in, "3", ""), "3");
  EXPECT_EQ(jp::find_publisher(*in, "1", ""), "");
  EXPECT_EQ(jp::find_publisher(*in, "", "b"), "");
}

TEST(JanusIncoming, UpdatedWithoutActiveStreamsMeansGone) {
  std::string err;
  auto gone = jp::parse(
      R"({"janus":"event","plugindata":{"data":{"videoroom":"updated",)"
      R"("streams":[{"mid":"0","active":false},{"mid":"1","active":false}]}}})",
      err);
  ASSERT_TRUE(gone);
  EXPECT_FALSE(jp::any_stream_active(*gone));
  auto still = jp::parse(
      R"({"janus":"event","plugindata":{"data":{"videoroom":"updated",)"
      R"("streams":[{"mid":"0","active":false},{"mid":"1"}]}}})",
      err);
  ASSERT_TRUE(still);
  EXPECT_TRUE(jp::any_stream_active(*still));
  /* A publisher leaving: its media inactive, its data channel not. */
  auto leaving = jp::parse(
      R"({"janus":"event","plugindata":{"data":{"videoroom":"updated",)"
      R"("streams":[{"type":"video","mid":"0","active":false},)"
      R"({"type":"audio","mid":"1","active":false},)"
      R"({"type":"data","mid":"2"}]}}})",
      err);
  ASSERT_TRUE(leaving);
  EXPECT_TRUE(jp::any_stream_active(*leaving));
  EXPECT_FALSE(jp::any_media_stream_active(*leaving));
  auto video_left = jp::parse(
      R"({"janus":"event","plugindata":{"data":{"videoroom":"updated",)"
      R"("streams":[{"type":"video","mid":"0","active":true},)"
      R"({"type":"audio","mid":"1","active":false}]}}})",
      err);
  ASSERT_TRUE(video_left);
  EXPECT_TRUE(jp::any_media_stream_active(*video_left));
}

TEST(JanusMessages, RenegotiationHelpers) {
  g_autoptr(JsonNode) n = json(jp::body_configure());
  EXPECT_STREQ(
      json_object_get_string_member(object_of(n), "request"), "configure");
  EXPECT_EQ(
      jp::sdp_ice_ufrag("v=0\r\na=ice-ufrag:abcd\r\na=ice-pwd:x\r\n"), "abcd");
  EXPECT_EQ(jp::sdp_ice_ufrag("v=0\na=ice-ufrag:ef"), "ef");
  EXPECT_EQ(jp::sdp_ice_ufrag("v=0\r\n"), "");
}

TEST(JanusMessages, PublishTellsCodecBitrateAndName) {
  jp::Target t;
  t.room = "1";
  t.bitrate = 256000;
  t.display = "cam";
  g_autoptr(JsonNode) n = json(jp::body_publish(t, "h264", "opus"));
  JsonObject *o = object_of(n);
  EXPECT_STREQ(json_object_get_string_member(o, "request"), "publish");
  EXPECT_STREQ(json_object_get_string_member(o, "videocodec"), "h264");
  EXPECT_STREQ(json_object_get_string_member(o, "audiocodec"), "opus");
  EXPECT_EQ(json_object_get_int_member(o, "bitrate"), 256000);
  EXPECT_STREQ(json_object_get_string_member(o, "display"), "cam");
  g_autoptr(JsonNode) bare = json(jp::body_publish(jp::Target{}, "", ""));
  EXPECT_FALSE(json_object_has_member(object_of(bare), "videocodec"));
  EXPECT_FALSE(json_object_has_member(object_of(bare), "bitrate"));
}

TEST(JanusMessages, CreateRoomCarriesTheSecret) {
  jp::Target t;
  t.room = "7777";
  t.secret = "s3";
  g_autoptr(JsonNode) n = json(jp::body_create_room(t));
  JsonObject *o = object_of(n);
  EXPECT_STREQ(json_object_get_string_member(o, "request"), "create");
  EXPECT_EQ(json_object_get_int_member(o, "room"), 7777);
  EXPECT_STREQ(json_object_get_string_member(o, "admin_key"), "s3");
  EXPECT_FALSE(json_object_get_boolean_member(o, "permanent"));
}
