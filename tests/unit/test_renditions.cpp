/* Renditions (plugins/webrtcsession/gws-renditions.*): the plan that
 * spreads consumers over a few shared encoders, and the key-frame test
 * that a switch waits for. */
#include "gws-codecs.h"
#include "gws-renditions.h"

#include <gst/rtp/rtp.h>
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

using gws::plan_renditions;

namespace {

const gws::CodecInfo *
codec(const char *name) {
  for (const auto &c : gws::codec_table()) {
    if (g_ascii_strcasecmp(c.name, name) == 0)
      return &c;
  }
  return nullptr;
}

GstBuffer *
rtp_packet(const std::vector<guint8> &payload) {
  GstBuffer *buf = gst_rtp_buffer_new_allocate(payload.size(), 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  gst_rtp_buffer_map(buf, GST_MAP_WRITE, &rtp);
  memcpy(gst_rtp_buffer_get_payload(&rtp), payload.data(), payload.size());
  gst_rtp_buffer_unmap(&rtp);
  return buf;
}

bool
key(const char *name, const std::vector<guint8> &payload) {
  GstBuffer *buf = rtp_packet(payload);
  bool k = gws::rtp_starts_keyframe(buf, *codec(name));
  gst_buffer_unref(buf);
  return k;
}

} // namespace

TEST(Renditions, OneConsumerFollowsItsEstimate) {
  std::vector<int64_t> rates;
  auto plan = plan_renditions({700'000}, 3, &rates);
  EXPECT_EQ(plan, std::vector<int>({0}));
  EXPECT_EQ(rates, std::vector<int64_t>({700'000}));
}

TEST(Renditions, CloseEstimatesShareOneEncoder) {
  std::vector<int64_t> rates;
  auto plan = plan_renditions({1'000'000, 900'000, 800'000}, 3, &rates);
  EXPECT_EQ(rates.size(), 1u);
  EXPECT_EQ(rates[0], 800'000); /* everyone's path carries it */
}

TEST(Renditions, DistantEstimatesSplit) {
  std::vector<int64_t> rates;
  auto plan = plan_renditions({2'500'000, 500'000, 2'400'000}, 3, &rates);
  EXPECT_EQ(plan, std::vector<int>({0, 1, 0}));
  EXPECT_EQ(rates, std::vector<int64_t>({2'400'000, 500'000}));
}

TEST(Renditions, BoundedByMax) {
  std::vector<int64_t> est = {4'000'000, 3'900'000, 2'000'000, 1'900'000,
      900'000, 850'000, 300'000, 250'000};
  std::vector<int64_t> rates;
  auto plan = plan_renditions(est, 2, &rates);
  EXPECT_EQ(rates.size(), 2u);
  for (int r : plan)
    EXPECT_LT(r, 2);
  EXPECT_EQ(rates[1], 250'000); /* the last takes everyone below */
  plan = plan_renditions(est, 8, &rates);
  EXPECT_EQ(rates.size(), 4u); /* distinct rates, not consumers */
}

TEST(Renditions, Vp8KeyFrames) {
  /* descriptor S=1 PID=0, then the VP8 header with P=0 (key) / 1 */
  EXPECT_TRUE(key("VP8", {0x10, 0x00, 0x9d, 0x01, 0x2a}));
  EXPECT_FALSE(key("VP8", {0x10, 0x01, 0x00, 0x00}));
  EXPECT_FALSE(key("VP8", {0x00, 0x00, 0x9d})); /* not a partition start */
  /* X with a 15-bit picture id */
  EXPECT_TRUE(key("VP8", {0x90, 0x80, 0x81, 0x23, 0x00}));
}

TEST(Renditions, H264KeyFrames) {
  EXPECT_TRUE(key("H264", {0x65, 0x88}));             /* IDR */
  EXPECT_TRUE(key("H264", {0x67, 0x42}));             /* SPS */
  EXPECT_FALSE(key("H264", {0x41, 0x9a}));            /* P slice */
  EXPECT_TRUE(key("H264", {0x78, 0x00, 0x05, 0x67})); /* STAP-A, SPS */
  EXPECT_TRUE(key("H264", {0x7c, 0x85}));             /* FU-A start, IDR */
  EXPECT_FALSE(key("H264", {0x7c, 0x05}));            /* FU-A middle */
}

int
main(int argc, char **argv) {
  gst_init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
