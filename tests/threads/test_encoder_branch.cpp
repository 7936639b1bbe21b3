/* One shared encoder, two consumers' outputs (plugins/webrtcsession/
 * gws-encoder-branch.*): an output whose downstream refuses what it gets
 * (FLUSHING, as a retiring connection's bundled transport does once
 * another of its streams was flushed) never stops the encoder; the other
 * output keeps receiving. Real elements (a live audiotestsrc, opusenc,
 * the branch's tee, funnels and queues), no network.
 *
 * The failure it guards against: a call's audio stopped for good after a
 * restart (docs/calls.md), because the tee returned the first output
 * error to the encoder's branch, whose queue and source then paused. */
#include "gws-codecs.h"
#include "gws-encoder-branch.h"

#include <gst/gst.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

/* webrtcsink's category, which the branch logs under (the plugin defines
 * it; this test links the branch alone). */
GST_DEBUG_CATEGORY(gws_webrtc_sink_debug);

namespace {

struct Counter {
  std::mutex lock;
  std::condition_variable cond;
  guint buffers = 0;
};

GstPadProbeReturn
count_buffer(GstPad *, GstPadProbeInfo *, gpointer data) {
  auto *c = static_cast<Counter *>(data);
  std::lock_guard<std::mutex> g(c->lock);
  c->buffers++;
  c->cond.notify_all();
  return GST_PAD_PROBE_OK;
}

/* Waits (10 s at most) until @c has counted @n buffers. */
bool
wait_buffers(Counter &c, guint n) {
  std::unique_lock<std::mutex> g(c.lock);
  return c.cond.wait_for(
      g, std::chrono::seconds(10), [&c, n] { return c.buffers >= n; });
}

} // namespace

TEST(EncoderBranch, AFailingOutputNeverStopsTheSharedEncoder) {
  GST_DEBUG_CATEGORY_INIT(
      gws_webrtc_sink_debug, "webrtcsink", 0, "encoder branch test");
  const gws::CodecInfo *opus = gws::codec_by_name("opus");
  ASSERT_NE(opus, nullptr);
  GstElement *pipe = gst_pipeline_new("branch-test");
  GstElement *src = gst_element_factory_make("audiotestsrc", nullptr);
  GstElement *input = gst_element_factory_make("tee", nullptr);
  ASSERT_TRUE(src && input);
  g_object_set(src, "is-live", TRUE, nullptr);
  /* As the elements' input tees: no branch yet is not an error. */
  g_object_set(input, "allow-not-linked", TRUE, nullptr);
  gst_bin_add_many(GST_BIN(pipe), src, input, nullptr);
  ASSERT_TRUE(gst_element_link(src, input));
  ASSERT_NE(
      gst_element_set_state(pipe, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);

  GError *error = nullptr;
  std::unique_ptr<gws::EncoderBranch> branch = gws::EncoderBranch::create(
      GST_BIN(pipe), input, *opus, 96, false, "audio_0", {}, &error);
  ASSERT_TRUE(branch) << (error ? error->message : "no branch");

  /* The failing consumer: a sink pad that is not active, so every push
   * into it returns FLUSHING. Attached first: its first refusal comes
   * before anything reaches the good one. */
  GstPad *refusing = gst_pad_new("refusing", GST_PAD_SINK);
  ASSERT_NE(branch->attach(refusing, "refusing", gws::RtpRewrite{}), 0u);

  GstElement *sink = gst_element_factory_make("fakesink", nullptr);
  g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
  gst_bin_add(GST_BIN(pipe), sink);
  gst_element_sync_state_with_parent(sink);
  GstPad *sinkpad = gst_element_get_static_pad(sink, "sink");
  Counter good;
  gst_pad_add_probe(
      sinkpad, GST_PAD_PROBE_TYPE_BUFFER, count_buffer, &good, nullptr);
  ASSERT_NE(branch->attach(sinkpad, "good", gws::RtpRewrite{}), 0u);

  /* 20 ms Opus packets: 100 are 2 s of audio, long after the refusing
   * output's first FLUSHING. */
  EXPECT_TRUE(wait_buffers(good, 100))
      << "the good output got " << good.buffers
      << " buffers: the failing output stopped the shared encoder";

  gst_element_set_state(pipe, GST_STATE_NULL);
  branch.reset();
  gst_object_unref(sinkpad);
  gst_object_unref(refusing);
  gst_object_unref(pipe);
}

int
main(int argc, char **argv) {
  gst_init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
