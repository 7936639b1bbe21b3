/* Telling a renegotiation from a restart (plugins/webrtcsession/
 * gws-renegotiation.*): the ICE ufrag of a description, session level or
 * its first m-line that has one. */
#include "gws-renegotiation.h"

#include <gtest/gtest.h>

#include <string>

namespace {

GstSDPMessage *
parse(const std::string &text) {
  GstSDPMessage *sdp = nullptr;
  gst_sdp_message_new_from_text(text.c_str(), &sdp);
  return sdp;
}

const char *kHead = "v=0\r\n"
                    "o=- 1 2 IN IP4 0.0.0.0\r\n"
                    "s=-\r\n"
                    "t=0 0\r\n";

TEST(SdpIceUfrag, FromTheFirstMediaThatHasOne) {
  GstSDPMessage *sdp = parse(std::string(kHead)
                             + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
                               "a=mid:video0\r\n"
                               "m=audio 0 UDP/TLS/RTP/SAVPF 97\r\n"
                               "a=ice-ufrag:abcd\r\n"
                               "a=ice-pwd:0123456789012345678901\r\n");
  ASSERT_NE(sdp, nullptr);
  EXPECT_EQ(gws::sdp_ice_ufrag(sdp), "abcd");
  gst_sdp_message_free(sdp);
}

TEST(SdpIceUfrag, SessionLevelFirst) {
  GstSDPMessage *sdp = parse(std::string(kHead)
                             + "a=ice-ufrag:sess\r\n"
                               "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
                               "a=ice-ufrag:media\r\n");
  ASSERT_NE(sdp, nullptr);
  EXPECT_EQ(gws::sdp_ice_ufrag(sdp), "sess");
  gst_sdp_message_free(sdp);
}

TEST(SdpIceUfrag, NoneIsEmpty) {
  GstSDPMessage *sdp
      = parse(std::string(kHead) + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n");
  ASSERT_NE(sdp, nullptr);
  EXPECT_EQ(gws::sdp_ice_ufrag(sdp), "");
  EXPECT_EQ(gws::sdp_ice_ufrag(nullptr), "");
  gst_sdp_message_free(sdp);
}

TEST(DescriptionMatchesRemote, NoWebrtcbinIsNoMatch) {
  EXPECT_FALSE(gws::description_matches_remote(nullptr, nullptr));
}

} // namespace
