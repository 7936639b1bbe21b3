/* Which encoder webrtcsink makes, and with which settings (no network).
 *
 * No hardware encoder is installed here, so the test registers fakes
 * (fake-encoder.h: real x264enc inside) and proves, in order:
 *  - an unknown encoder of a higher rank than x264enc is chosen over it;
 *  - a known hardware encoder (the fake, named nvh264enc) is chosen even
 *    at rank none, as the VA encoders register;
 *  - `video-encoders` overrides both, skipping names that are not
 *    installed or do not make the codec;
 *  - the table's settings reach the element (bitrate in the encoder's own
 *    unit, key-frame interval, real-time options), and the bitrate setter
 *    congestion control uses converts units and refuses encoders that do
 *    not take a change while running. */
#include "fake-encoder.h"
#include "gws-codecs.h"
#include "gws-encoder-settings.h"

#include <gtest/gtest.h>

using namespace gws;

namespace {

const CodecInfo &
h264() {
  return *codec_by_name("H264");
}

guint
uint_prop(GstElement *e, const char *name) {
  guint v = 0;
  g_object_get(e, name, &v, nullptr);
  return v;
}

TEST(EncoderChoice, RankThenKnownHardwareThenPreferenceList) {
  GstElementFactory *x264 = gst_element_factory_find("x264enc");
  ASSERT_NE(x264, nullptr) << "x264enc (gstreamer1.0-plugins-ugly) is needed";
  gst_object_unref(x264);
  /* Stock: x264enc (primary) over openh264enc (marginal). */
  EXPECT_EQ(codec_encoder_factory(h264()), "x264enc");

  /* An encoder we know nothing of, ranked above x264enc, wins by rank. */
  ASSERT_TRUE(
      fakeenc::register_fake_encoder("gwsfakeh264enc", GST_RANK_PRIMARY + 1));
  EXPECT_EQ(codec_encoder_factory(h264()), "gwsfakeh264enc");

  /* A hardware encoder of our table wins even at rank none. */
  ASSERT_TRUE(fakeenc::register_fake_encoder("nvh264enc", GST_RANK_NONE));
  EXPECT_EQ(codec_encoder_factory(h264()), "nvh264enc");

  /* video-encoders overrides rank and the table, in its order; a name not
   * installed, or an encoder of another codec, is skipped. */
  EXPECT_EQ(codec_encoder_factory(h264(), {"x264enc"}), "x264enc");
  EXPECT_EQ(
      codec_encoder_factory(h264(), {"notinstalled", "vp8enc", "openh264enc"}),
      "openh264enc");
  EXPECT_EQ(codec_encoder_factory(h264(), {"vp8enc"}), "nvh264enc");
  EXPECT_EQ(
      codec_encoder_factory(*codec_by_name("VP8"), {"x264enc"}), "vp8enc");
}

TEST(EncoderChoice, TableSettingsReachTheChosenEncoder) {
  /* Registered by the test above when it ran first; harmless again. */
  GstElementFactory *known = gst_element_factory_find("nvh264enc");
  if (known) {
    gst_object_unref(known);
  } else {
    ASSERT_TRUE(fakeenc::register_fake_encoder("nvh264enc", GST_RANK_NONE));
  }
  std::string factory;
  GstElement *enc = codec_make_encoder(h264(), {}, &factory);
  ASSERT_NE(enc, nullptr);
  gst_object_ref_sink(enc);
  EXPECT_EQ(factory, "nvh264enc");
  /* 1 Mbit/s in kbit/s, a key frame every 60 frames, real-time options. */
  EXPECT_EQ(uint_prop(enc, "bitrate"), 1000u);
  gint gop = 0;
  gchar *preset = nullptr, *rc = nullptr;
  gboolean zl = FALSE;
  g_object_get(enc, "gop-size", &gop, "preset", &preset, "rc-mode", &rc,
      "zerolatency", &zl, nullptr);
  EXPECT_EQ(gop, 60);
  EXPECT_STREQ(preset, "low-latency-hq");
  EXPECT_STREQ(rc, "cbr");
  EXPECT_TRUE(zl);
  EXPECT_EQ(uint_prop(enc, "bframes"), 0u);
  g_free(preset);
  g_free(rc);

  /* The congestion-control setter: bit/s in, the element's unit out. */
  EXPECT_TRUE(encoder_set_bitrate(enc, 2500000, TRUE));
  EXPECT_EQ(uint_prop(enc, "bitrate"), 2500u);
  EXPECT_EQ(encoder_get_bitrate(enc), 2500000u);
  gst_object_unref(enc);

  /* Software encoders of this machine. */
  struct Case {
    const char *factory, *property;
    guint value; /* for 1 Mbit/s */
  } cases[]
      = {{"x264enc", "bitrate", 1000}, {"openh264enc", "bitrate", 1000000},
          {"vp8enc", "target-bitrate", 1000000}};
  for (const auto &c : cases) {
    GstElement *e = codec_make_encoder(
        *codec_by_name(std::string(c.factory) == "vp8enc" ? "VP8" : "H264"),
        {c.factory}, &factory);
    ASSERT_NE(e, nullptr) << c.factory;
    gst_object_ref_sink(e);
    EXPECT_EQ(factory, c.factory);
    EXPECT_EQ(uint_prop(e, c.property), c.value) << c.factory;
    EXPECT_EQ(encoder_get_bitrate(e), 1000000u) << c.factory;
    gst_object_unref(e);
  }

  /* An encoder whose row says the bitrate is set only before it runs. */
  const EncoderSettings *v4l2 = encoder_settings_lookup("v4l2h264enc");
  ASSERT_NE(v4l2, nullptr);
  EXPECT_FALSE(v4l2->runtime_bitrate);
  EXPECT_EQ(encoder_settings_lookup("nosuchenc"), nullptr);
}

} // namespace

int
main(int argc, char **argv) {
  gst_init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
