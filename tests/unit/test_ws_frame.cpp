/* Unit tests: the relay's WebSocket framing (signaling/relay/ws_frame.*),
 * bytes in, events out: what a ws:// client may send and what closes it. */
#include "ws_frame.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace gws::relay;

namespace {

constexpr size_t kMax = 1000;

/* One client frame: masked, as RFC 6455 requires of clients. */
std::string
client_frame(uint8_t opcode, const std::string &payload, bool fin = true,
    bool masked = true, uint8_t rsv = 0) {
  std::string f;
  f.push_back(static_cast<char>((fin ? 0x80 : 0) | rsv | opcode));
  uint8_t mask_bit = masked ? 0x80 : 0;
  size_t n = payload.size();
  if (n < 126) {
    f.push_back(static_cast<char>(mask_bit | n));
  } else if (n <= 0xFFFF) {
    f.push_back(static_cast<char>(mask_bit | 126));
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n & 0xFF));
  } else {
    f.push_back(static_cast<char>(mask_bit | 127));
    for (int i = 7; i >= 0; i--)
      f.push_back(static_cast<char>((uint64_t{n} >> (8 * i)) & 0xFF));
  }
  const char key[4] = {'\x37', '\xfa', '\x21', '\x3d'};
  if (masked)
    f.append(key, 4);
  for (size_t i = 0; i < n; i++)
    f.push_back(static_cast<char>(payload[i] ^ (masked ? key[i % 4] : 0)));
  return f;
}

struct Events : ws::Sink {
  std::vector<std::string> log;
  bool on_message(bool text, std::string_view data) override {
    log.push_back((text ? "text:" : "binary:") + std::string(data));
    return true;
  }
  bool on_ping(std::string_view p) override {
    log.push_back("ping:" + std::string(p));
    return true;
  }
  bool on_pong(std::string_view p) override {
    log.push_back("pong:" + std::string(p));
    return true;
  }
  void on_close(uint16_t code, std::string_view reason) override {
    log.push_back("close:" + std::to_string(code) + ":" + std::string(reason));
  }
};

/* Feeds `bytes` whole; returns what was consumed. */
size_t
feed(ws::Parser &p, std::string bytes, Events &ev) {
  return p.feed(bytes.data(), bytes.size(), ev);
}

std::string
code_payload(uint16_t code, const std::string &reason) {
  return std::string{static_cast<char>(code >> 8), static_cast<char>(code)}
         + reason;
}

} // namespace

TEST(WsFrame, TextAndBinaryMessages) {
  ws::Parser p(kMax);
  Events ev;
  std::string in = client_frame(0x1, "{\"type\":\"list\"}")
                   + client_frame(0x2, std::string("\x00\x01", 2));
  EXPECT_EQ(feed(p, in, ev), in.size());
  ASSERT_EQ(ev.log.size(), 2u);
  EXPECT_EQ(ev.log[0], "text:{\"type\":\"list\"}");
  EXPECT_EQ(ev.log[1], std::string("binary:\x00\x01", 9));
  EXPECT_FALSE(p.failed());
}

TEST(WsFrame, SixteenAndSixtyFourBitLengths) {
  ws::Parser p(100000);
  Events ev;
  std::string mid(300, 'm'), big(70000, 'b');
  std::string in = client_frame(0x1, mid) + client_frame(0x1, big);
  EXPECT_EQ(feed(p, in, ev), in.size());
  ASSERT_EQ(ev.log.size(), 2u);
  EXPECT_EQ(ev.log[0], "text:" + mid);
  EXPECT_EQ(ev.log[1], "text:" + big);
}

TEST(WsFrame, IncompleteFrameIsLeftForLater) {
  ws::Parser p(kMax);
  Events ev;
  std::string in = client_frame(0x1, "hello");
  /* Every split point: the first part consumes nothing of the frame, the
   * whole frame is reported once it is all there. */
  for (size_t cut = 0; cut < in.size(); cut++) {
    std::string head = in.substr(0, cut);
    EXPECT_EQ(feed(p, head, ev), 0u) << cut;
    EXPECT_TRUE(ev.log.empty()) << cut;
  }
  EXPECT_EQ(feed(p, in, ev), in.size());
  ASSERT_EQ(ev.log.size(), 1u);
  EXPECT_EQ(ev.log[0], "text:hello");
}

TEST(WsFrame, FragmentsJoinWithControlFramesBetween) {
  ws::Parser p(kMax);
  Events ev;
  std::string in = client_frame(0x1, "hel", false) + client_frame(0x9, "p1")
                   + client_frame(0x0, "lo ", false) + client_frame(0xA, "")
                   + client_frame(0x0, "w\xc3\xa9");
  EXPECT_EQ(feed(p, in, ev), in.size());
  ASSERT_EQ(ev.log.size(), 3u);
  EXPECT_EQ(ev.log[0], "ping:p1");
  EXPECT_EQ(ev.log[1], "pong:");
  EXPECT_EQ(ev.log[2], "text:hello w\xc3\xa9");
  EXPECT_EQ(p.buffered(), 0u);
}

TEST(WsFrame, UTF8CharacterSplitAcrossFragments) {
  ws::Parser p(kMax);
  Events ev;
  std::string in
      = client_frame(0x1, "\xc3", false) + client_frame(0x0, "\xa9", true);
  EXPECT_EQ(feed(p, in, ev), in.size());
  ASSERT_EQ(ev.log.size(), 1u);
  EXPECT_EQ(ev.log[0], "text:\xc3\xa9");
}

TEST(WsFrame, UnmaskedFrameIsAProtocolError) {
  ws::Parser p(kMax);
  Events ev;
  feed(p, client_frame(0x1, "hi", true, false), ev);
  EXPECT_TRUE(p.failed());
  EXPECT_EQ(p.error_code(), ws::close_code::kProtocolError);
  EXPECT_TRUE(ev.log.empty());
}

TEST(WsFrame, ReservedBitsAndOpcodesAreProtocolErrors) {
  for (auto frame :
      {client_frame(0x1, "x", true, true, 0x40), client_frame(0x3, "x"),
          client_frame(0xB, "x"), client_frame(0x0, "no message to continue"),
          client_frame(0x9, "fragmented ping", false),
          client_frame(0x9, std::string(126, 'p')),
          client_frame(0x1, "a", false) + client_frame(0x1, "new message"),
          client_frame(0x8, "x"),
          client_frame(0x8, code_payload(1005, "never on the wire"))}) {
    ws::Parser p(kMax);
    Events ev;
    feed(p, frame, ev);
    EXPECT_TRUE(p.failed());
    EXPECT_EQ(p.error_code(), ws::close_code::kProtocolError)
        << p.error_reason();
  }
}

TEST(WsFrame, OversizeMessageFailsBeforeItsPayloadArrives) {
  ws::Parser p(kMax);
  Events ev;
  std::string frame = client_frame(0x1, std::string(kMax + 1, 'x'));
  /* The header alone is enough to refuse it. */
  EXPECT_EQ(feed(p, frame.substr(0, 8), ev), 0u);
  EXPECT_TRUE(p.failed());
  EXPECT_EQ(p.error_code(), ws::close_code::kTooBig);

  /* Fragments count together. */
  ws::Parser q(kMax);
  std::string half(kMax / 2 + 1, 'y');
  feed(q, client_frame(0x1, half, false) + client_frame(0x0, half), ev);
  EXPECT_TRUE(q.failed());
  EXPECT_EQ(q.error_code(), ws::close_code::kTooBig);
  EXPECT_TRUE(ev.log.empty());
}

TEST(WsFrame, InvalidUTF8Closes1007) {
  for (std::string bad : {"\xff", "\xc0\xaf", "\xed\xa0\x80",
           "\xf4\x90\x80\x80", "\xe2\x82", "abc\x80"}) {
    ws::Parser p(kMax);
    Events ev;
    feed(p, client_frame(0x1, bad), ev);
    EXPECT_TRUE(p.failed()) << bad;
    EXPECT_EQ(p.error_code(), ws::close_code::kBadData);
    EXPECT_TRUE(ev.log.empty());
  }
  /* Binary messages are not text: anything goes. */
  ws::Parser p(kMax);
  Events ev;
  feed(p, client_frame(0x2, "\xff"), ev);
  EXPECT_FALSE(p.failed());
  /* A close reason must be UTF-8 too. */
  ws::Parser q(kMax);
  feed(q, client_frame(0x8, code_payload(1000, "\xff")), ev);
  EXPECT_EQ(q.error_code(), ws::close_code::kBadData);
}

TEST(WsFrame, ValidUTF8) {
  EXPECT_TRUE(ws::valid_utf8(""));
  EXPECT_TRUE(ws::valid_utf8(std::string("nul\0inside", 10)));
  EXPECT_TRUE(ws::valid_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
  EXPECT_TRUE(ws::valid_utf8("\xf4\x8f\xbf\xbf")); /* U+10FFFF */
  EXPECT_FALSE(ws::valid_utf8("\xe0\x80\x80"));    /* overlong */
  EXPECT_FALSE(ws::valid_utf8("\xf8\x88\x80\x80\x80"));
}

TEST(WsFrame, CloseHandshake) {
  ws::Parser p(kMax);
  Events ev;
  std::string close = client_frame(0x8, code_payload(1001, "bye"));
  std::string after = client_frame(0x1, "ignored");
  EXPECT_EQ(feed(p, close + after, ev), close.size());
  ASSERT_EQ(ev.log.size(), 1u);
  EXPECT_EQ(ev.log[0], "close:1001:bye");
  EXPECT_TRUE(p.closed());
  EXPECT_FALSE(p.failed());

  /* A close without a code reports 1005 (no status). */
  ws::Parser q(kMax);
  Events ev2;
  feed(q, client_frame(0x8, ""), ev2);
  ASSERT_EQ(ev2.log.size(), 1u);
  EXPECT_EQ(ev2.log[0], "close:1005:");
}

TEST(WsFrame, ServerFrames) {
  std::string f = ws::frame(ws::Opcode::Text, "hi");
  EXPECT_EQ(f, std::string("\x81\x02hi", 4));
  std::string mid = ws::frame(ws::Opcode::Text, std::string(300, 'a'));
  EXPECT_EQ(mid.substr(0, 4), std::string("\x81\x7e\x01\x2c", 4));
  std::string big = ws::frame(ws::Opcode::Binary, std::string(70000, 'a'));
  EXPECT_EQ(big.substr(0, 10),
      std::string("\x82\x7f\x00\x00\x00\x00\x00\x01\x11\x70", 10));
  EXPECT_EQ(ws::frame(ws::Opcode::Pong, ""), std::string("\x8a\x00", 2));
}

TEST(WsFrame, ClosePayloadCutAtCharacterBoundary) {
  std::string reason;
  for (int i = 0; i < 100; i++)
    reason += "\xc3\xa9"; /* 200 bytes of two-byte characters */
  std::string p = ws::close_payload(1008, reason);
  EXPECT_LE(p.size(), 125u);
  EXPECT_EQ(p.substr(0, 2), std::string("\x03\xf0", 2));
  EXPECT_TRUE(ws::valid_utf8(p.substr(2)));
  EXPECT_EQ(ws::close_payload(1000, "ok"), std::string("\x03\xe8ok", 4));
}

TEST(WsFrame, StopsWhenTheSinkSaysSo) {
  struct Stop : Events {
    bool on_message(bool, std::string_view) override { return false; }
  } ev;
  ws::Parser p(kMax);
  std::string a = client_frame(0x1, "a"), b = client_frame(0x1, "b");
  EXPECT_EQ(feed(p, a + b, ev), a.size());
}
