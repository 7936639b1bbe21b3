/* The LATENCY messages of webrtcsink's consumers, coalesced (plugins/
 * webrtcsession/gws-latency-coalescer.*): a burst of changes gives one
 * message at once and one after the burst, none is lost. */
#include "common/gws-worker.h"
#include "gws-latency-coalescer.h"

#include <gtest/gtest.h>

namespace {

struct Rig {
  GstElement *pipeline = gst_pipeline_new("p");
  GstElement *element = gst_element_factory_make("identity", "e");
  GstBus *bus = gst_element_get_bus(pipeline);
  gws::Worker loop{"test-latency"};

  Rig() {
    gst_bin_add(GST_BIN(pipeline), element);
    loop.start();
  }
  ~Rig() {
    loop.stop();
    gst_object_unref(bus);
    gst_object_unref(pipeline);
  }
  /* The next LATENCY message from @element, waiting up to @ms. */
  bool next(guint ms) {
    GstMessage *m = gst_bus_timed_pop_filtered(
        bus, ms * GST_MSECOND, GST_MESSAGE_LATENCY);
    if (!m)
      return false;
    bool ours = GST_MESSAGE_SRC(m) == GST_OBJECT(element);
    gst_message_unref(m);
    return ours;
  }
};

} // namespace

TEST(LatencyCoalescer, ABurstGivesOneMessageNowAndOneAfter) {
  Rig rig;
  gws::LatencyCoalescer c(rig.element, rig.loop, 200);
  for (int i = 0; i < 50; i++)
    c.changed();
  EXPECT_TRUE(rig.next(0)); /* the first one at once */
  EXPECT_EQ(c.posted(), 1u);
  EXPECT_TRUE(rig.next(10000)); /* the rest of the burst: one more */
  EXPECT_EQ(c.posted(), 2u);
}

TEST(LatencyCoalescer, AChangeAfterResetIsPostedAtOnce) {
  Rig rig;
  gws::LatencyCoalescer c(rig.element, rig.loop, 60000);
  c.changed();
  EXPECT_TRUE(rig.next(0));
  c.changed(); /* inside the interval: delayed */
  EXPECT_FALSE(rig.next(0));
  c.reset(); /* the element stopped: the delayed one is dropped */
  c.changed();
  EXPECT_TRUE(rig.next(0));
  EXPECT_EQ(c.posted(), 2u);
}

int
main(int argc, char **argv) {
  gst_init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
