/* Unit tests: the relay's routing core, driven without sockets. */
#include "router.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

using namespace gws;
using namespace gws::protocol;
using relay::ConnectionId;

namespace {

/* Records what the router sends, per connection. */
class Recorder : public relay::Output {
 public:
  void send(ConnectionId conn, const std::string &text) override {
    auto r = parse(text);
    EXPECT_TRUE(r.message) << "router sent unparsable " << text;
    if (r.message)
      inbox[conn].push_back(*r.message);
    raw[conn].push_back(text);
  }
  void close(ConnectionId conn, const std::string &reason) override {
    closed[conn] = reason;
  }
  void log(const std::string &line) override { logs.push_back(line); }

  /* Takes the oldest message for a connection, failing when there is none. */
  Message take(ConnectionId conn) {
    auto &q = inbox[conn];
    EXPECT_FALSE(q.empty()) << "no message for connection " << conn;
    if (q.empty())
      return make_error("<none>");
    Message m = q.front();
    q.erase(q.begin());
    return m;
  }
  bool empty(ConnectionId conn) { return inbox[conn].empty(); }

  std::map<ConnectionId, std::vector<Message>> inbox;
  std::map<ConnectionId, std::vector<std::string>> raw;
  std::map<ConnectionId, std::string> closed;
  std::vector<std::string> logs;
};

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() : router(out) {}

  /* Connects and returns the welcome id. */
  std::string join(ConnectionId conn, const std::string &claim = "") {
    EXPECT_TRUE(router.connect(conn, claim));
    Message w = out.take(conn);
    EXPECT_EQ(w.type, Type::Welcome);
    return w.peer_id;
  }
  void say(ConnectionId conn, const std::string &text) {
    router.receive(conn, text);
  }
  void expect_error(ConnectionId conn, const std::string &fragment) {
    Message m = out.take(conn);
    EXPECT_EQ(m.type, Type::Error);
    EXPECT_NE(m.details.find(fragment), std::string::npos)
        << "error was: " << m.details;
  }
  /* A producer (conn 1, "cam") and a consumer (conn 2) in one session. */
  std::string start_session() {
    join(1, "cam");
    join(2);
    say(1, R"({"type":"setPeerStatus","roles":["producer"],"meta":null})");
    say(2, R"({"type":"startSession","peerId":"cam"})");
    Message started = out.take(2);
    EXPECT_EQ(started.type, Type::SessionStarted);
    Message start = out.take(1);
    EXPECT_EQ(start.type, Type::StartSession);
    EXPECT_EQ(start.session_id, started.session_id);
    return started.session_id;
  }

  Recorder out;
  relay::Router router;
};

} // namespace

TEST_F(RouterTest, WelcomesWithUuidOrClaimedId) {
  std::string id = join(1);
  EXPECT_EQ(id.size(), 36u);
  EXPECT_TRUE(g_uuid_string_is_valid(id.c_str()));
  EXPECT_EQ(join(2, "cam1"), "cam1");
  EXPECT_EQ(router.peer_count(), 2u);
}

TEST_F(RouterTest, RefusesDuplicateOrInvalidClaimAtConnect) {
  join(1, "cam1");
  EXPECT_FALSE(router.connect(2, "cam1"));
  expect_error(2, "already in use");
  EXPECT_EQ(out.closed.count(2), 1u);
  EXPECT_FALSE(router.connect(3, "bad id!"));
  expect_error(3, "may only use");
  /* A claim from the URL is any bytes; the refusal is still UTF-8 JSON
   * (the recorder fails on a frame it cannot parse). Found by fuzz-router. */
  EXPECT_FALSE(router.connect(4, "s\xE9me"));
  expect_error(4, "may only use");
  router.disconnect(2); /* the transport reports the close: harmless */
  EXPECT_EQ(router.peer_id(1), "cam1");
  EXPECT_EQ(router.peer_count(), 1u);
}

TEST_F(RouterTest, ClaimsIdThroughSetPeerStatus) {
  join(1, "taken");
  std::string id = join(2);
  say(3, "{}"); /* unknown connection: ignored */
  join(3);
  say(3, R"({"type":"setPeerStatus","roles":["listener"]})");
  out.take(3); /* its own status */
  say(2, R"({"type":"setPeerStatus","roles":["producer"],"peerId":"taken"})");
  expect_error(2, "already in use");
  EXPECT_EQ(router.peer_id(2), id);
  EXPECT_TRUE(out.empty(3)) << "a refused claim must not be announced";
  say(2, R"({"type":"setPeerStatus","roles":["producer"],"peerId":"cam2"})");
  EXPECT_EQ(router.peer_id(2), "cam2");
  Message m = out.take(3);
  EXPECT_EQ(m.peer_id, "cam2");
  EXPECT_EQ(m.roles, kProducer);
}

TEST_F(RouterTest, ListenersHearStatusChangesIncludingTheirOwn) {
  std::string l = join(1);
  std::string p = join(2);
  say(1, R"({"type":"setPeerStatus","roles":["listener"],"meta":null})");
  Message own = out.take(1);
  EXPECT_EQ(own.type, Type::PeerStatusChanged);
  EXPECT_EQ(own.peer_id, l);
  EXPECT_EQ(own.roles, kListener);

  say(2,
      R"({"type":"setPeerStatus","roles":["producer"],"meta":{"name":"A"}})");
  Message m = out.take(1);
  EXPECT_EQ(m.peer_id, p);
  EXPECT_EQ(m.roles, kProducer);
  EXPECT_EQ(json_to_string(m.meta), R"({"name":"A"})");
  EXPECT_TRUE(out.empty(2)) << "a non-listener is not told";

  router.disconnect(2);
  m = out.take(1);
  EXPECT_EQ(m.peer_id, p);
  EXPECT_EQ(m.roles, 0);
}

TEST_F(RouterTest, ListsProducersAndConsumers) {
  join(1, "a");
  join(2, "b");
  join(3, "c");
  say(1, R"({"type":"setPeerStatus","roles":["producer"],"meta":{"n":1}})");
  say(2, R"({"type":"setPeerStatus","roles":["consumer"]})");
  say(3, R"({"type":"list"})");
  Message l = out.take(3);
  EXPECT_EQ(l.type, Type::List);
  ASSERT_EQ(l.peers.size(), 1u);
  EXPECT_EQ(l.peers[0].id, "a");
  EXPECT_EQ(json_to_string(l.peers[0].meta), R"({"n":1})");
  say(3, R"({"type":"listConsumers"})");
  Message c = out.take(3);
  EXPECT_EQ(c.type, Type::ListConsumers);
  ASSERT_EQ(c.peers.size(), 1u);
  EXPECT_EQ(c.peers[0].id, "b");
}

TEST_F(RouterTest, RefusesProducerAndConsumerAtOnce) {
  join(1);
  say(1, R"({"type":"setPeerStatus","roles":["producer","consumer"]})");
  expect_error(1, "producer and consumer");
}

TEST_F(RouterTest, StartsSessionsAndRelaysPayloadsWhole) {
  std::string sid = start_session();
  say(1, R"({"type":"peer","sessionId":")" + sid
             + R"(","sdp":{"type":"offer","sdp":"v=0\r\n"}})");
  Message offer = out.take(2);
  EXPECT_EQ(sdp_type(offer), "offer");
  EXPECT_EQ(sdp_text(offer), "v=0\r\n");

  say(2, R"({"type":"peer","sessionId":")" + sid
             + R"(","ice":{"candidate":"candidate:1","sdpMid":"0",)"
               R"("sdpMLineIndex":0,"usernameFragment":"uf"}})");
  EXPECT_NE(
      out.raw[1].back().find(R"("usernameFragment":"uf")"), std::string::npos);
  Message ice = out.take(1);
  EXPECT_EQ(ice_candidate(ice), "candidate:1");
  EXPECT_EQ(ice_mid(ice), "0");
}

TEST_F(RouterTest, ConsumerOfferTravelsInStartSession) {
  join(1, "cam");
  join(2);
  say(1, R"({"type":"setPeerStatus","roles":["producer"]})");
  say(2, R"({"type":"startSession","peerId":"cam","offer":"v=0"})");
  EXPECT_EQ(out.take(2).type, Type::SessionStarted);
  Message start = out.take(1);
  ASSERT_TRUE(start.offer);
  EXPECT_EQ(*start.offer, "v=0");
  /* The producer answers through peer. */
  say(1, R"({"type":"peer","sessionId":")" + start.session_id
             + R"(","sdp":{"type":"answer","sdp":"v=0"}})");
  EXPECT_EQ(sdp_type(out.take(2)), "answer");
}

TEST_F(RouterTest, ProducerStartsSessionWithListeningConsumer) {
  join(1, "cam");
  join(2, "viewer");
  say(1, R"({"type":"setPeerStatus","roles":["producer"]})");
  say(2, R"({"type":"setPeerStatus","roles":["consumer"]})");
  say(1, R"({"type":"startSession","peerId":"viewer"})");
  Message started = out.take(1);
  EXPECT_EQ(started.type, Type::SessionStarted);
  EXPECT_EQ(started.peer_id, "viewer");
  Message start = out.take(2);
  EXPECT_EQ(start.type, Type::StartSession);
  EXPECT_EQ(start.peer_id, "cam");
  /* The producer offers in that session. */
  say(1, R"({"type":"peer","sessionId":")" + started.session_id
             + R"(","sdp":{"type":"offer","sdp":"v=0"}})");
  EXPECT_EQ(sdp_type(out.take(2)), "offer");
}

TEST_F(RouterTest, RefusesBadStartSessions) {
  join(1, "a");
  join(2, "b");
  say(1, R"({"type":"startSession","peerId":"nobody"})");
  expect_error(1, "no peer");
  say(1, R"({"type":"startSession","peerId":"a"})");
  expect_error(1, "yourself");
  say(1, R"({"type":"startSession","peerId":"b"})");
  expect_error(1, "not a producer");
  EXPECT_EQ(router.session_count(), 0u);
}

TEST_F(RouterTest, ForwardsRestartOfferFromConsumerRefusesStrangers) {
  std::string sid = start_session();
  say(2, R"({"type":"peer","sessionId":")" + sid
             + R"(","sdp":{"type":"offer","sdp":"v=0"}})");
  EXPECT_TRUE(out.empty(2));
  Message fwd = out.take(1);
  EXPECT_EQ(fwd.type, Type::Peer);
  EXPECT_EQ(fwd.session_id, sid);

  join(3);
  say(3, R"({"type":"peer","sessionId":")" + sid
             + R"(","ice":{"candidate":"c"}})");
  expect_error(3, "not in session");
  say(3, R"({"type":"endSession","sessionId":")" + sid + R"("})");
  expect_error(3, "not in session");
  EXPECT_TRUE(out.empty(1));
  EXPECT_TRUE(out.empty(2));
  EXPECT_EQ(router.session_count(), 1u);
}

TEST_F(RouterTest, EndSessionTellsTheOtherSideAndIgnoresTheEcho) {
  std::string sid = start_session();
  say(2, R"({"type":"endSession","sessionId":")" + sid + R"("})");
  Message end = out.take(1);
  EXPECT_EQ(end.type, Type::EndSession);
  EXPECT_EQ(end.session_id, sid);
  EXPECT_TRUE(out.empty(2));
  /* The browser client sends endSession back: no error for that. */
  say(1, R"({"type":"endSession","sessionId":")" + sid + R"("})");
  EXPECT_TRUE(out.empty(1));
  EXPECT_EQ(router.session_count(), 0u);
}

TEST_F(RouterTest, V1_1PeersGetReasonsV1_0PeersPlainEndSession) {
  join(1, "cam");
  say(1, R"({"type":"setProtocolVersion","version":"v1_1"})");
  join(2);
  say(1, R"({"type":"setPeerStatus","roles":["producer"]})");
  say(2, R"({"type":"startSession","peerId":"cam"})");
  std::string sid = out.take(2).session_id;
  out.take(1);
  say(2,
      R"({"type":"endSessionV1_1","sessionId":")" + sid + R"(","error":"x"})");
  expect_error(2, "needs protocol v1_1");
  say(1, R"({"type":"endSessionV1_1","sessionId":")" + sid
             + R"(","error":"encoder failed"})");
  Message end = out.take(2);
  EXPECT_EQ(end.type, Type::EndSession) << "v1_0 peers never get V1_1";

  /* Now the other way: the v1_1 producer hears the reason. */
  say(2, R"({"type":"startSession","peerId":"cam"})");
  sid = out.take(2).session_id;
  out.take(1);
  router.disconnect(2);
  end = out.take(1);
  EXPECT_EQ(end.type, Type::EndSessionV1_1);
  ASSERT_TRUE(end.reason);
  EXPECT_EQ(*end.reason, "peer disconnected");
}

TEST_F(RouterTest, ProtocolVersionOnlyFirst) {
  join(1);
  say(1, R"({"type":"list"})");
  out.take(1);
  say(1, R"({"type":"setProtocolVersion","version":"v1_1"})");
  expect_error(1, "first message");
}

TEST_F(RouterTest, DisconnectEndsSessionsAndAnnouncesDeparture) {
  join(9);
  say(9, R"({"type":"setPeerStatus","roles":["listener"]})");
  out.take(9);
  std::string sid = start_session();
  out.take(9); /* cam registered */
  router.disconnect(1);
  Message end = out.take(2);
  EXPECT_EQ(end.type, Type::EndSession);
  EXPECT_EQ(end.session_id, sid);
  Message gone = out.take(9);
  EXPECT_EQ(gone.peer_id, "cam");
  EXPECT_EQ(gone.roles, 0);
  EXPECT_EQ(router.session_count(), 0u);
  /* The id is free again: the camera can come back. */
  EXPECT_EQ(join(5, "cam"), "cam");
}

TEST_F(RouterTest, UnregisteringProducerEndsItsSessions) {
  std::string sid = start_session();
  say(1, R"({"type":"setPeerStatus","roles":[]})");
  Message end = out.take(2);
  EXPECT_EQ(end.type, Type::EndSession);
  EXPECT_EQ(router.session_count(), 0u);
}

TEST_F(RouterTest, BadInputGetsReasonAndKeepsConnection) {
  join(1);
  say(1, "{oops");
  expect_error(1, "malformed JSON");
  say(1, R"({"type":"teleport"})");
  expect_error(1, "unknown message type");
  say(1, R"({"type":"startSession","peerId":42})");
  expect_error(1, "must be a string");
  say(1, R"({"type":"welcome","peerId":"x"})");
  expect_error(1, "sent by the server");
  say(1, R"({"type":"error","details":"client-side trouble"})");
  EXPECT_TRUE(out.empty(1)) << "errors are never answered with errors";
  say(1, std::string(70 * 1024, ' '));
  expect_error(1, "exceeds the limit");
  EXPECT_TRUE(out.closed.empty());
  say(1, R"({"type":"list"})");
  EXPECT_EQ(out.take(1).type, Type::List);
}

TEST_F(RouterTest, FloodingPeerIsDisconnectedOthersUnaffected) {
  auto now = relay::Clock::now();
  router.set_clock([&now] { return now; });
  join(1);
  join(2);
  for (int i = 0; i < 400; i++)
    say(1, R"({"type":"list"})");
  EXPECT_TRUE(out.closed.empty()) << "a burst within limits is fine";
  say(1, R"({"type":"list"})");
  EXPECT_EQ(out.closed.count(1), 1u);
  EXPECT_NE(out.raw[1].back().find("too many messages"), std::string::npos);
  size_t before = out.inbox[1].size();
  say(1, R"({"type":"list"})");
  EXPECT_EQ(out.inbox[1].size(), before) << "a closing peer is ignored";
  say(2, R"({"type":"list"})");
  EXPECT_EQ(out.take(2).type, Type::List);

  /* Tokens come back with time. */
  join(3);
  for (int i = 0; i < 400; i++)
    say(3, R"({"type":"list"})");
  now += std::chrono::seconds(1);
  for (int i = 0; i < 150; i++)
    say(3, R"({"type":"list"})");
  EXPECT_EQ(out.closed.count(3), 0u);
}

/* A producer answering many consumers at once sends an offer and a few
 * candidates in each session: each session adds to its allowance (the
 * fan-out benchmark's producer, with 160 consumers starting together,
 * was closed as flooding). Without sessions the limit is the same. */
TEST_F(RouterTest, EachSessionAddsToThePeersFloodAllowance) {
  auto now = relay::Clock::now();
  router.set_clock([&now] { return now; });
  join(1, "cam");
  say(1, R"({"type":"setPeerStatus","roles":["producer"],"meta":null})");
  std::vector<std::string> sids;
  for (ConnectionId c = 2; c < 2 + 160; c++) {
    join(c);
    say(c, R"({"type":"startSession","peerId":"cam"})");
    sids.push_back(out.take(c).session_id);
  }
  for (const auto &sid : sids) {
    say(1, R"({"type":"peer","sessionId":")" + sid
               + R"(","sdp":{"type":"offer","sdp":"v=0\r\n"}})");
    for (int i = 0; i < 3; i++)
      say(1, R"({"type":"peer","sessionId":")" + sid
                 + R"(","ice":{"candidate":"candidate:1","sdpMid":"0",)"
                   R"("sdpMLineIndex":0}})");
  }
  EXPECT_EQ(out.closed.count(1), 0u)
      << "640 messages for 160 new sessions are not a flood";
  EXPECT_FALSE(out.empty(2)) << "the offers were relayed";

  /* The allowance is the sessions': a peer in none floods at 401. */
  join(500);
  for (int i = 0; i < 401; i++)
    say(500, R"({"type":"list"})");
  EXPECT_EQ(out.closed.count(500), 1u);
}

/* The counters behind /metrics (metrics.h): the router counts every
 * message by type both ways, every error reply by cause, refusals it
 * decides, and sessions; the sent counts match what the transport got. */
TEST_F(RouterTest, MetricsCountMessagesErrorsRefusalsAndSessions) {
  using relay::ErrorCause;
  using relay::Refusal;
  const relay::Metrics &m = router.metrics();
  auto received = [&m](Type t) { return m.received[size_t(t)]; };
  auto sent = [&m](Type t) { return m.sent[size_t(t)]; };
  auto error = [&m](ErrorCause c) { return m.errors[size_t(c)]; };

  std::string sid = start_session();
  EXPECT_EQ(received(Type::SetPeerStatus), 1u);
  EXPECT_EQ(received(Type::StartSession), 1u);
  EXPECT_EQ(sent(Type::Welcome), 2u);
  EXPECT_EQ(sent(Type::SessionStarted), 1u);
  EXPECT_EQ(sent(Type::StartSession), 1u);
  EXPECT_EQ(m.sessions_started_total, 1u);

  say(2, R"({"type":"peer","sessionId":")" + sid
             + R"(","sdp":{"type":"offer","sdp":"v=0"}})");
  EXPECT_EQ(out.take(1).type, Type::Peer);
  EXPECT_EQ(received(Type::Peer), 1u);
  EXPECT_EQ(sent(Type::Peer), 1u);

  say(2, "{oops");
  expect_error(2, "malformed");
  say(2, std::string(70 * 1024, ' '));
  expect_error(2, "exceeds");
  say(2, R"({"type":"startSession","peerId":"nobody"})");
  expect_error(2, "nobody");
  say(2,
      R"({"type":"peer","sessionId":"other","sdp":{"type":"offer","sdp":"v=0"}})");
  expect_error(2, "not in session");
  say(2, R"({"type":"welcome","peerId":"x"})");
  expect_error(2, "sent by the server");
  EXPECT_EQ(m.received[relay::kUnparsedSlot], 2u);
  EXPECT_EQ(error(ErrorCause::Malformed), 1u);
  EXPECT_EQ(error(ErrorCause::TooLarge), 1u);
  EXPECT_EQ(error(ErrorCause::UnknownPeer), 1u);
  EXPECT_EQ(error(ErrorCause::NotInSession), 1u);
  EXPECT_EQ(error(ErrorCause::Protocol), 1u);
  EXPECT_EQ(sent(Type::Error), 5u);

  EXPECT_FALSE(router.connect(3, "cam"));
  EXPECT_EQ(m.refusals[size_t(Refusal::PeerIdClaim)], 1u);
  EXPECT_EQ(sent(Type::Error), 6u);

  relay::PeerCounts peers = router.peer_counts();
  EXPECT_EQ(peers.producer, 1u);
  EXPECT_EQ(peers.none, 1u);
  router.disconnect(2);
  EXPECT_EQ(m.sessions_ended_total, 1u);
  EXPECT_EQ(sent(Type::EndSession), 1u);

  /* Every message the transport was handed is counted once. */
  size_t handed = 0, counted = 0;
  for (const auto &kv : out.raw)
    handed += kv.second.size();
  for (uint64_t n : m.sent)
    counted += n;
  EXPECT_EQ(handed, counted);
}
