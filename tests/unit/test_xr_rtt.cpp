/* webrtcsink's answer to RTCP XR reference times (gws-xr-rtt.*): the DLRR
 * packet GStreamer's own RTCP reader parses back, each RRTR answered once,
 * and the offer's rrtr feedback. */
#include "gws-xr-rtt.h"

#include <gst/rtp/gstrtcpbuffer.h>
#include <gtest/gtest.h>

using gws::Dlrr;

TEST(XrRtt, DlrrPacketParsesBack) {
  std::vector<guint8> bytes
      = gws::dlrr_packet(0x11223344, {{0xaabbccdd, 0x12345678, 65536}});
  GstBuffer *buf = gst_buffer_new_memdup(bytes.data(), bytes.size());
  ASSERT_TRUE(gst_rtcp_buffer_validate_reduced(buf));
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  ASSERT_TRUE(gst_rtcp_buffer_map(buf, GST_MAP_READ, &rtcp));
  GstRTCPPacket packet;
  ASSERT_TRUE(gst_rtcp_buffer_get_first_packet(&rtcp, &packet));
  EXPECT_EQ(gst_rtcp_packet_get_type(&packet), GST_RTCP_TYPE_XR);
  EXPECT_EQ(gst_rtcp_packet_xr_get_ssrc(&packet), 0x11223344u);
  ASSERT_TRUE(gst_rtcp_packet_xr_first_rb(&packet));
  EXPECT_EQ(gst_rtcp_packet_xr_get_block_type(&packet), GST_RTCP_XR_TYPE_DLRR);
  guint32 ssrc = 0, lrr = 0, dlrr = 0;
  ASSERT_TRUE(
      gst_rtcp_packet_xr_get_dlrr_block(&packet, 0, &ssrc, &lrr, &dlrr));
  EXPECT_EQ(ssrc, 0xaabbccddu);
  EXPECT_EQ(lrr, 0x12345678u);
  EXPECT_EQ(dlrr, 65536u);
  EXPECT_FALSE(gst_rtcp_packet_move_to_next(&packet));
  gst_rtcp_buffer_unmap(&rtcp);
  gst_buffer_unref(buf);
}

TEST(XrRtt, EachRrtrAnsweredOnceWithItsDelay) {
  Dlrr d;
  /* NTP 0x0001_2345_6789_0000: the middle 32 bits are 0x23456789. */
  d.on_rrtr(7, 0x0001234567890000ull, 1'000'000);
  std::vector<Dlrr::Block> b = d.take(100, 1'500'000);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].ssrc, 7u);
  EXPECT_EQ(b[0].lrr, 0x23456789u);
  EXPECT_EQ(b[0].dlrr, 32768u); /* 0.5 s in 1/65536 s */
  EXPECT_TRUE(d.take(100, 1'600'000).empty());
}

TEST(XrRtt, EachOfOurSsrcsAnswersOnce) {
  /* Audio (100) and video (200) reports go out in separate RTCP packets;
   * the peer keeps the round trip under the XR sender's SSRC, so each of
   * ours answers, each once, with the delay at its own sending time. */
  Dlrr d;
  d.on_rrtr(1, 0x0001234567890000ull, 1'000'000);
  std::vector<Dlrr::Block> audio = d.take(100, 1'250'000);
  ASSERT_EQ(audio.size(), 1u);
  EXPECT_EQ(audio[0].dlrr, 16384u);
  std::vector<Dlrr::Block> video = d.take(200, 1'500'000);
  ASSERT_EQ(video.size(), 1u);
  EXPECT_EQ(video[0].ssrc, 1u);
  EXPECT_EQ(video[0].dlrr, 32768u);
  EXPECT_TRUE(d.take(100, 1'600'000).empty());
  EXPECT_TRUE(d.take(200, 1'600'000).empty());
  /* A new RRTR from the same receiver is answered again by both. */
  d.on_rrtr(1, 0x0001234567990000ull, 2'000'000);
  EXPECT_EQ(d.take(200, 2'000'000).size(), 1u);
  EXPECT_EQ(d.take(100, 2'000'000).size(), 1u);
}

TEST(XrRtt, StaleRrtrNotAnswered) {
  Dlrr d;
  d.on_rrtr(7, 1, 0);
  EXPECT_TRUE(d.take(100, 10'000'000).empty());
}

TEST(XrRtt, OfferAsksForRrtrWhereNack) {
  GstSDPMessage *sdp = nullptr;
  gst_sdp_message_new_from_text("v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\ns=-\r\n"
                                "t=0 0\r\n"
                                "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98\r\n"
                                "a=rtpmap:96 VP8/90000\r\n"
                                "a=rtcp-fb:96 nack\r\n"
                                "a=rtcp-fb:96 nack pli\r\n"
                                "a=rtpmap:97 rtx/90000\r\n"
                                "a=fmtp:97 apt=96\r\n"
                                "a=rtpmap:98 H264/90000\r\n"
                                "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
                                "a=rtpmap:111 OPUS/48000/2\r\n"
                                "a=rtcp-fb:111 nack\r\n",
      &sdp);
  ASSERT_NE(sdp, nullptr);
  EXPECT_EQ(gws::xr_rtt_add_rrtr(sdp), 1u);
  gchar *text = gst_sdp_message_as_text(sdp);
  EXPECT_NE(strstr(text, "a=rtcp-fb:96 rrtr"), nullptr);
  EXPECT_EQ(strstr(text, "a=rtcp-fb:98 rrtr"), nullptr);
  EXPECT_EQ(strstr(text, "a=rtcp-fb:111 rrtr"), nullptr);
  g_free(text);
  /* Once per payload: an answer to an offer that had rrtr already, or a
   * second call, adds none. */
  EXPECT_EQ(gws::xr_rtt_add_rrtr(sdp), 0u);
  gst_sdp_message_free(sdp);
}

int
main(int argc, char **argv) {
  gst_init(&argc, &argv);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
