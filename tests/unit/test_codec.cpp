/* Unit tests: the relay protocol's JSON codec. */
#include "protocol/ice_fast_path.h"
#include "protocol/message.h"

#include <gtest/gtest.h>

using namespace gws::protocol;

namespace {

Message
must_parse(const char *text) {
  auto r = parse(text);
  EXPECT_TRUE(r.message.has_value()) << text << ": " << r.error;
  return r.message ? *r.message : Message{};
}

std::string
refusal(const char *text) {
  auto r = parse(text);
  EXPECT_FALSE(r.message.has_value()) << text;
  return r.error;
}

} // namespace

TEST(Codec, ParsesSetPeerStatusWithMetaAndClaim) {
  auto m = must_parse(R"({"type":"setPeerStatus","roles":["producer",)"
                      R"("listener"],"meta":{"name":"cam"},"peerId":"cam1"})");
  EXPECT_EQ(m.type, Type::SetPeerStatus);
  EXPECT_EQ(m.roles, kProducer | kListener);
  ASSERT_TRUE(m.meta);
  EXPECT_EQ(json_to_string(m.meta), R"({"name":"cam"})");
  EXPECT_TRUE(m.has_peer_id);
  EXPECT_EQ(m.peer_id, "cam1");
}

TEST(Codec, MetaMayBeNullOrAbsent) {
  EXPECT_FALSE(
      must_parse(R"({"type":"setPeerStatus","roles":[],"meta":null})").meta);
  EXPECT_FALSE(must_parse(R"({"type":"setPeerStatus","roles":[]})").meta);
}

TEST(Codec, UnknownFieldsAreIgnored) {
  auto m = must_parse(R"({"type":"list","extra":[1,2,3]})");
  EXPECT_EQ(m.type, Type::List);
  EXPECT_FALSE(m.is_reply);
}

TEST(Codec, RefusesMalformedInputWithReasons) {
  EXPECT_NE(refusal("{not json").find("malformed JSON"), std::string::npos);
  EXPECT_NE(refusal("[1,2]").find("JSON object"), std::string::npos);
  EXPECT_NE(refusal(R"({"roles":[]})").find("\"type\""), std::string::npos);
  EXPECT_NE(refusal(R"({"type":7})").find("\"type\""), std::string::npos);
  EXPECT_NE(refusal(R"({"type":"dance"})").find("unknown message type"),
      std::string::npos);
  EXPECT_NE(refusal(R"({"type":"setPeerStatus","roles":"producer"})")
                .find("roles must be an array"),
      std::string::npos);
  EXPECT_NE(refusal(R"({"type":"setPeerStatus","roles":["boss"]})")
                .find("unknown role"),
      std::string::npos);
  EXPECT_NE(refusal(R"({"type":"setPeerStatus","roles":[],"meta":5})")
                .find("meta must be an object or null"),
      std::string::npos);
  EXPECT_NE(refusal(R"({"type":"startSession"})").find("peerId is required"),
      std::string::npos);
  EXPECT_NE(refusal(R"({"type":"startSession","peerId":3})")
                .find("peerId must be a string"),
      std::string::npos);
  EXPECT_NE(
      refusal(R"({"type":"setProtocolVersion","version":"v2"})").find("v1_0"),
      std::string::npos);
}

/* json-glib reads 1e999 as infinity and would write it back as "inf.0",
 * which is not JSON: the relay must not forward that (found by fuzz-message,
 * tests/fuzz/corpus/message/number-overflows-to-inf.json). */
TEST(Codec, RefusesNumbersTooLargeForADouble) {
  EXPECT_NE(refusal(R"({"type":"peer","sessionId":"a",)"
                    R"("ice":{"candidate":"x","v":[1,-1e999]}})")
                .find("too large"),
      std::string::npos);
  EXPECT_NE(refusal(R"({"type":"setPeerStatus","roles":[],)"
                    R"("meta":{"a":{"b":1E400}}})")
                .find("too large"),
      std::string::npos);
  EXPECT_FALSE(parse_json_object(R"({"a":1e999})"));
  auto m
      = must_parse(R"({"type":"setPeerStatus","roles":[],)"
                   R"("meta":{"big":1.7976931348623157e308,"tiny":1e-999}})");
  ASSERT_TRUE(m.meta);
  EXPECT_TRUE(parse(serialize(m)).message.has_value());
}

TEST(Codec, PeerNeedsExactlyOneWellFormedPayload) {
  refusal(R"({"type":"peer","sessionId":"s"})");
  refusal(R"({"type":"peer","sessionId":"s","sdp":{"type":"offer","sdp":"x"},)"
          R"("ice":{"candidate":"c"}})");
  refusal(R"({"type":"peer","sessionId":"s","sdp":{"type":"pranswer",)"
          R"("sdp":"x"}})");
  refusal(R"({"type":"peer","sessionId":"s","sdp":{"type":"offer"}})");
  refusal(R"({"type":"peer","sessionId":"s","ice":{"sdpMLineIndex":0}})");
  refusal(R"({"type":"peer","sessionId":"s","ice":{"candidate":"c",)"
          R"("sdpMLineIndex":-1}})");
  refusal(R"({"type":"peer","ice":{"candidate":"c"}})");
}

TEST(Codec, IcePayloadSurvivesWhole) {
  auto m = must_parse(
      R"({"type":"peer","sessionId":"s1","ice":{"candidate":"candidate:1 1 )"
      R"(UDP 1 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0,)"
      R"("usernameFragment":"abcd"}})");
  EXPECT_EQ(ice_mline_index(m), 0u);
  EXPECT_EQ(ice_mid(m), "0");
  std::string out = serialize(m);
  EXPECT_NE(out.find(R"("usernameFragment":"abcd")"), std::string::npos);
  EXPECT_NE(out.find(R"("sdpMid":"0")"), std::string::npos);
}

TEST(Codec, RoundTripsEveryServerMessage) {
  const char *messages[] = {
      R"({"type":"welcome","peerId":"p1"})",
      (R"({"type":"peerStatusChanged","peerId":"p1","roles":["producer"],)"
       R"("meta":{"name":"x"}})"),
      R"({"type":"startSession","peerId":"c","sessionId":"s","offer":"v=0"})",
      R"({"type":"sessionStarted","peerId":"p","sessionId":"s"})",
      R"({"type":"peer","sessionId":"s","sdp":{"type":"answer","sdp":"v=0"}})",
      R"({"type":"endSession","sessionId":"s"})",
      R"({"type":"endSessionV1_1","sessionId":"s","error":"gone"})",
      R"({"type":"endSessionV1_1","sessionId":"s","error":null})",
      R"({"type":"list","producers":[{"id":"p","meta":null}]})",
      R"({"type":"listConsumers","consumers":[{"id":"c","meta":{"a":1}}]})",
      R"({"type":"error","details":"nope"})",
      R"({"type":"setProtocolVersion","version":"v1_1"})",
  };
  for (const char *text : messages)
    EXPECT_EQ(serialize(must_parse(text)), text);
}

TEST(Codec, BuildersMakeWhatParsersRead) {
  Message m;
  m.type = Type::Peer;
  m.session_id = "s";
  m.ice = make_ice("candidate:x", 1, "1");
  auto back = must_parse(serialize(m).c_str());
  EXPECT_EQ(ice_candidate(back), "candidate:x");
  EXPECT_EQ(ice_mline_index(back), 1u);

  m.ice = nullptr;
  m.sdp = make_sdp("offer", "v=0\r\n");
  back = must_parse(serialize(m).c_str());
  EXPECT_EQ(sdp_type(back), "offer");
  EXPECT_EQ(sdp_text(back), "v=0\r\n");
}

/* The relay's ICE fast path: what it takes, parse() takes too, and what it
 * forwards is the slow path's message. */
TEST(IceFastPath, TakesTrickledCandidatesAndForwardsTheSame) {
  const char *texts[] = {
      R"({"type":"peer","sessionId":"s1","ice":{"candidate":"candidate:1 1 )"
      R"(UDP 2122 10.0.0.1 5000 typ host","sdpMLineIndex":0,"sdpMid":"0"}})",
      R"( { "sessionId" : "s1" , "ice" : { "candidate" : "a\nb" ,)"
      R"( "sdpMLineIndex" : null, "x": [1, -2, true, false, null, {}]} ,)"
      R"( "type" : "peer", "extra": {"dropped": "yes"} } )",
  };
  for (const char *text : texts) {
    PeerIce fast;
    ASSERT_TRUE(scan_peer_ice(text, fast)) << text;
    Message slow = must_parse(text);
    EXPECT_EQ(fast.session_id, slow.session_id);
    Message fwd
        = must_parse(serialize_peer_ice(fast.session_id, fast.ice).c_str());
    EXPECT_EQ(serialize(fwd), serialize(slow)) << text;
  }
}

TEST(IceFastPath, LeavesEverythingElseToTheParser) {
  const char *texts[] = {
      R"({"type":"peer","sessionId":"s","sdp":{"type":"offer","sdp":"v=0"}})",
      R"({"type":"peer","sessionId":"s","ice":{"sdpMLineIndex":0}})",
      R"({"type":"peer","sessionId":"s","ice":{"candidate":"c",)"
      R"("sdpMLineIndex":-1}})",
      R"({"type":"peer","sessionId":"s","ice":{"candidate":"c",)"
      R"("sdpMLineIndex":1.5}})",
      R"({"type":"peer","sessionId":"s","ice":{"candidate":1}})",
      R"({"type":"peer","sessionId":"s","ice":null})",
      R"({"type":"peer","ice":{"candidate":"c"}})",
      R"({"type":"peer","type":"peer","sessionId":"s","ice":{"candidate":"c"}})",
      R"({"type":"pe\u0065r","sessionId":"s","ice":{"candidate":"c"}})",
      R"({"type":"peer","sessionId":"s","ice":{"candidate":"c"}} x)",
      R"({"type":"peer","sessionId":"s","ice":{"candidate":"c"},})",
      R"({"type":"peer","sessionId":"s","ice":{"candidate":"c","candidate":"d"}})",
      R"({"type":"endSession","sessionId":"s"})",
      "{\"type\":\"peer\",\"sessionId\":\"s\",\"ice\":{\"candidate\":\"\xff\"}"
      "}",
  };
  for (const char *text : texts) {
    PeerIce fast;
    EXPECT_FALSE(scan_peer_ice(text, fast)) << text;
  }
}
