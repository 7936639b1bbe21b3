/* The offline exchange's text blob (signaling/offline/offline-blob.*):
 * round trips, and a clear, specific error for every way a paste goes
 * wrong. Pure functions: no GLib, no I/O. */
#include "offline-blob.h"

#include <gtest/gtest.h>

#include <zlib.h>

using namespace gws::offline;

namespace {

const std::string kSdp
    = "v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
      "a=group:BUNDLE video0\r\n"
      "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n"
      "a=mid:video0\r\na=rtpmap:96 VP8/90000\r\n"
      "a=candidate:1 1 UDP 2015363327 10.99.7.1 40000 typ host\r\n"
      "a=end-of-candidates\r\n";

std::string
good() {
  return encode_blob("offer", "5a1e-session", kSdp);
}

} // namespace

TEST(OfflineBlob, RoundTrip) {
  std::string text = good();
  EXPECT_EQ(text.rfind("GWS1.", 0), 0u);
  DecodeResult r = decode_blob(text);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.blob.type, "offer");
  EXPECT_EQ(r.blob.session, "5a1e-session");
  EXPECT_EQ(r.blob.sdp, kSdp);
  EXPECT_FALSE(r.blob.plain_sdp);
}

TEST(OfflineBlob, CopyPasteFriendly) {
  std::string text = good();
  /* Only characters that survive a chat or a mail: no '+', '/', '='. */
  EXPECT_EQ(text.find_first_of("+/= \n"), std::string::npos);
}

TEST(OfflineBlob, WrappedAndIndentedPasteDecodes) {
  std::string text = good(), wrapped = "  ";
  for (size_t i = 0; i < text.size(); i += 20)
    wrapped += text.substr(i, 20) + "\r\n  ";
  DecodeResult r = decode_blob(wrapped.substr(0, wrapped.size() - 2));
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.blob.sdp, kSdp);
}

TEST(OfflineBlob, EveryChangedCharacterIsDetected) {
  std::string text = good();
  for (size_t i = 5; i < text.size(); i++) {
    std::string bad = text;
    bad[i] = bad[i] == 'x' ? 'y' : 'x';
    DecodeResult r = decode_blob(bad);
    if (bad[i] == '.' || text[i] == '.')
      continue;
    EXPECT_FALSE(r.ok()) << "position " << i;
    EXPECT_TRUE(
        r.error == BlobError::Damaged || r.error == BlobError::Truncated)
        << "position " << i << ": " << r.message;
    EXPECT_NE(r.message.find("copy it again"), std::string::npos) << r.message;
  }
}

TEST(OfflineBlob, ChecksumMismatchIsNamed) {
  std::string text = good();
  std::string bad = text.substr(0, text.size() - 8) + "00000000";
  DecodeResult r = decode_blob(bad);
  EXPECT_EQ(r.error, BlobError::Damaged);
  EXPECT_NE(r.message.find("checksum mismatch"), std::string::npos);
}

TEST(OfflineBlob, CutPasteIsTruncated) {
  std::string text = good();
  for (size_t len : {text.size() - 1, text.size() - 8, text.size() - 9,
           text.size() / 2, size_t(6)}) {
    DecodeResult r = decode_blob(text.substr(0, len));
    EXPECT_EQ(r.error, BlobError::Truncated)
        << "length " << len << ": " << r.message;
  }
  /* Data cut, checksum kept (the middle of a paste lost). */
  size_t dot = text.rfind('.');
  DecodeResult r = decode_blob(text.substr(0, dot - 10) + text.substr(dot));
  EXPECT_FALSE(r.ok());
}

TEST(OfflineBlob, OtherVersionsAreRefusedByName) {
  std::string text = good();
  text[3] = '2';
  DecodeResult r = decode_blob(text);
  EXPECT_EQ(r.error, BlobError::UnknownVersion);
  EXPECT_NE(r.message.find("version 2"), std::string::npos) << r.message;
}

TEST(OfflineBlob, NotABlob) {
  EXPECT_EQ(decode_blob("").error, BlobError::Empty);
  EXPECT_EQ(decode_blob(" \n\t").error, BlobError::Empty);
  EXPECT_EQ(decode_blob("hello there").error, BlobError::NotABlob);
  EXPECT_EQ(decode_blob("{\"type\":\"offer\"}").error, BlobError::NotABlob);
}

TEST(OfflineBlob, PlainSdpIsAccepted) {
  DecodeResult r = decode_blob("\n" + kSdp);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_TRUE(r.blob.plain_sdp);
  EXPECT_EQ(r.blob.sdp, kSdp);
  EXPECT_TRUE(r.blob.type.empty());
  EXPECT_EQ(decode_blob("v=0\r\ns=-\r\n").error, BlobError::BadContent);
}

TEST(OfflineBlob, BadContentBehindAGoodChecksum) {
  EXPECT_EQ(
      decode_blob(encode_blob("bye", "s", kSdp)).error, BlobError::BadContent);
  EXPECT_EQ(
      decode_blob(encode_blob("offer", "", kSdp)).error, BlobError::BadContent);
  EXPECT_EQ(decode_blob(encode_blob("offer", "a b", kSdp)).error,
      BlobError::BadContent);
  EXPECT_EQ(decode_blob(encode_blob("answer", "s", "not sdp")).error,
      BlobError::BadContent);
}

TEST(OfflineBlob, DecompressionIsBounded) {
  /* A valid zlib stream that inflates far past kMaxPayload. */
  std::string huge(kMaxPayload * 4, 'a');
  std::string text = encode_blob("offer", "s", "v=0\nm=" + huge);
  DecodeResult r = decode_blob(text);
  EXPECT_EQ(r.error, BlobError::Damaged) << r.message;
}
