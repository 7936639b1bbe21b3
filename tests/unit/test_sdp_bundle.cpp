/* BUNDLE offer normalisation (plugins/webrtcsession/gws-sdp-bundle.*): an
 * initial offer whose bundled m-lines carry their own ICE credentials (RFC
 * 8843 allows it; aiortc sends it) becomes one webrtcbin 1.22 accepts. */
#include "gws-sdp-bundle.h"

#include <gst/gst.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

/* An aiortc-like audio + video offer: each m-line its own transport. */
std::string
offer(bool same_credentials, bool with_group = true) {
  std::string s = "v=0\r\n"
                  "o=- 3900000000 3900000000 IN IP4 0.0.0.0\r\n"
                  "s=-\r\n"
                  "t=0 0\r\n";
  if (with_group)
    s += "a=group:BUNDLE 0 1\r\n";
  s += "a=msid-semantic:WMS *\r\n";
  auto media = [&](const char *kind, int mid, const char *fmt,
                   const char *rtpmap, const char *ufrag, const char *pwd,
                   int port) {
    s += std::string("m=") + kind + " " + std::to_string(port)
         + " UDP/TLS/RTP/SAVPF " + fmt + "\r\n";
    s += "c=IN IP4 127.0.0.1\r\n";
    s += "a=sendonly\r\n";
    s += "a=mid:" + std::to_string(mid) + "\r\n";
    s += "a=rtcp-mux\r\n";
    s += std::string("a=rtpmap:") + fmt + " " + rtpmap + "\r\n";
    s += "a=candidate:1 1 udp 2130706431 127.0.0.1 " + std::to_string(port)
         + " typ host\r\n";
    s += "a=end-of-candidates\r\n";
    s += std::string("a=ice-ufrag:") + ufrag + "\r\n";
    s += std::string("a=ice-pwd:") + pwd + "\r\n";
    s += "a=fingerprint:sha-256 "
         "11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:"
         "77:88:99:AA:BB:CC:DD:EE:FF:00\r\n";
    s += "a=setup:actpass\r\n";
  };
  media("audio", 0, "111", "opus/48000/2", "aaaa", "aaaaaaaaaaaaaaaaaaaaaaaa",
      40001);
  if (same_credentials)
    media("video", 1, "96", "VP8/90000", "aaaa", "aaaaaaaaaaaaaaaaaaaaaaaa",
        40001);
  else
    media("video", 1, "96", "VP8/90000", "vvvv", "vvvvvvvvvvvvvvvvvvvvvvvv",
        40002);
  return s;
}

struct Parsed {
  GstSDPMessage *msg = nullptr;
  explicit Parsed(const std::string &text) {
    gst_sdp_message_new_from_text(text.c_str(), &msg);
  }
  ~Parsed() { gst_sdp_message_free(msg); }
  const GstSDPMedia *media(guint i) const {
    return gst_sdp_message_get_media(msg, i);
  }
  std::string attr(guint i, const char *key) const {
    const char *v = gst_sdp_media_get_attribute_val(media(i), key);
    return v ? v : "";
  }
  guint count(guint i, const char *key) const {
    guint n = 0;
    for (guint a = 0; a < gst_sdp_media_attributes_len(media(i)); a++)
      n += g_strcmp0(gst_sdp_media_get_attribute(media(i), a)->key, key) == 0;
    return n;
  }
};

} // namespace

TEST(SdpBundle, MlinesWithTheirOwnTransportTakeTheTaggedOne) {
  std::string out;
  guint changed = 0;
  ASSERT_TRUE(gws::sdp_normalize_bundle_text(offer(false), &out, &changed));
  EXPECT_EQ(changed, 1u);
  Parsed p(out);
  ASSERT_EQ(gst_sdp_message_medias_len(p.msg), 2u);
  /* The tagged m-line (first of the group) is untouched. */
  EXPECT_EQ(p.attr(0, "ice-ufrag"), "aaaa");
  EXPECT_EQ(p.count(0, "candidate"), 1u);
  EXPECT_EQ(p.count(0, "end-of-candidates"), 1u);
  /* The other takes its credentials, once, and drops its own candidates. */
  EXPECT_EQ(p.attr(1, "ice-ufrag"), "aaaa");
  EXPECT_EQ(p.attr(1, "ice-pwd"), "aaaaaaaaaaaaaaaaaaaaaaaa");
  EXPECT_EQ(p.count(1, "ice-ufrag"), 1u);
  EXPECT_EQ(p.count(1, "ice-pwd"), 1u);
  EXPECT_EQ(p.count(1, "candidate"), 0u);
  EXPECT_EQ(p.count(1, "end-of-candidates"), 0u);
  /* Everything else stays. */
  EXPECT_EQ(p.attr(1, "mid"), "1");
  EXPECT_EQ(p.attr(1, "rtpmap"), "96 VP8/90000");
  EXPECT_EQ(p.count(1, "fingerprint"), 1u);
  /* Idempotent. */
  std::string again;
  ASSERT_TRUE(gws::sdp_normalize_bundle_text(out, &again, &changed));
  EXPECT_EQ(changed, 0u);
  EXPECT_EQ(again, out);
}

TEST(SdpBundle, TheTaggedMlineIsTheFirstOfTheGroup) {
  /* Group order, not m-line order, names the tagged m-line. */
  std::string text = offer(false);
  text.replace(text.find("BUNDLE 0 1"), 10, "BUNDLE 1 0");
  std::string out;
  guint changed = 0;
  ASSERT_TRUE(gws::sdp_normalize_bundle_text(text, &out, &changed));
  EXPECT_EQ(changed, 1u);
  Parsed p(out);
  EXPECT_EQ(p.attr(0, "ice-ufrag"), "vvvv");
  EXPECT_EQ(p.count(0, "candidate"), 0u);
  EXPECT_EQ(p.attr(1, "ice-ufrag"), "vvvv");
  EXPECT_EQ(p.count(1, "candidate"), 1u);
}

TEST(SdpBundle, SessionLevelCredentialsCount) {
  /* Credentials at session level, one m-line overriding them. */
  std::string text = offer(true);
  size_t at;
  while ((at = text.find("a=ice-ufrag:aaaa\r\n")) != std::string::npos)
    text.erase(at, 18);
  text.insert(text.find("a=msid-semantic"), "a=ice-ufrag:aaaa\r\n");
  std::string out;
  guint changed = 9;
  ASSERT_TRUE(gws::sdp_normalize_bundle_text(text, &out, &changed));
  EXPECT_EQ(changed, 0u) << out;
  text.insert(text.rfind("a=ice-pwd"), "a=ice-ufrag:other\r\n");
  ASSERT_TRUE(gws::sdp_normalize_bundle_text(text, &out, &changed));
  EXPECT_EQ(changed, 1u);
  EXPECT_EQ(Parsed(out).attr(1, "ice-ufrag"), "aaaa");
}

TEST(SdpBundle, OffersWithoutDifferencesOrGroupStayAsTheyAre) {
  for (const std::string &text : {offer(true), offer(false, false)}) {
    std::string out;
    guint changed = 9;
    ASSERT_TRUE(gws::sdp_normalize_bundle_text(text, &out, &changed));
    EXPECT_EQ(changed, 0u);
    Parsed in(text), now(out);
    for (guint i = 0; i < 2; i++) {
      EXPECT_EQ(in.attr(i, "ice-ufrag"), now.attr(i, "ice-ufrag"));
      EXPECT_EQ(in.count(i, "candidate"), now.count(i, "candidate"));
    }
  }
}

TEST(SdpBundle, OddGroupsAndGarbage) {
  std::string out = "untouched";
  EXPECT_FALSE(gws::sdp_normalize_bundle_text("", &out));
  EXPECT_FALSE(gws::sdp_normalize_bundle_text("hello\r\n", &out));
  EXPECT_EQ(out, "untouched");
  /* Unknown mids, a repeated mid, a one-member group, another semantics. */
  for (const char *group : {"BUNDLE 7 8", "BUNDLE 0 0", "BUNDLE 0", "LS 0 1",
           "BUNDLE", "BUNDLE  0  x 1"}) {
    std::string text = offer(false);
    text.replace(text.find("BUNDLE 0 1"), 10, group);
    guint changed = 9;
    ASSERT_TRUE(gws::sdp_normalize_bundle_text(text, &out, &changed)) << group;
    bool both = std::string(group) == "BUNDLE  0  x 1";
    EXPECT_EQ(changed, both ? 1u : 0u) << group;
  }
  EXPECT_EQ(gws::sdp_normalize_bundle(nullptr), 0u);
}

int
main(int argc, char **argv) {
  gst_init(&argc, &argv);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
