/* Threads and locks of the elements (issue 13): no thread of ours exists
 * before an element starts; the stats getter and restart-session do not
 * block a streaming thread on the session thread; the child-proxy override
 * still finds the bin's own children. The plugin is loaded from
 * GST_PLUGIN_PATH. Every wait has a timeout. */
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <dirent.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

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

/* The child proxy lists the signaller first, then the bin's own children:
 * both found by name and by index, and "child::prop" works for both. */
TEST(Threads, ChildProxyFindsTheBinsChildren) {
  for (const char *factory : {"webrtcsink", "webrtcsrc"}) {
    GstElement *e = make(factory, nullptr);
    ASSERT_NE(e, nullptr);
    GstElement *mine = gst_element_factory_make("identity", "mine");
    ASSERT_TRUE(gst_bin_add(GST_BIN(e), mine));
    GstChildProxy *proxy = GST_CHILD_PROXY(e);

    GObject *sig = gst_child_proxy_get_child_by_name(proxy, "signaller");
    EXPECT_NE(sig, nullptr) << factory;
    GObject *child = gst_child_proxy_get_child_by_name(proxy, "mine");
    EXPECT_EQ(child, G_OBJECT(mine)) << factory;
    guint n = gst_child_proxy_get_children_count(proxy);
    EXPECT_EQ(n, GST_BIN_NUMCHILDREN(GST_BIN(e)) + 1u) << factory;
    bool listed = false;
    for (guint i = 0; i < n; i++) {
      GObject *c = gst_child_proxy_get_child_by_index(proxy, i);
      EXPECT_NE(c, nullptr) << factory << " child " << i;
      if (i == 0) {
        EXPECT_EQ(c, sig) << factory;
      }
      listed = listed || c == G_OBJECT(mine);
      if (c)
        g_object_unref(c);
    }
    EXPECT_TRUE(listed) << factory;

    /* "mine::silent" reaches the child; "signaller::uri" the signaller. */
    gst_child_proxy_set(proxy, "mine::silent", FALSE, nullptr);
    gboolean silent = TRUE;
    g_object_get(mine, "silent", &silent, nullptr);
    EXPECT_FALSE(silent) << factory;
    gst_child_proxy_set(proxy, "signaller::uri", "ws://127.0.0.1:2/", nullptr);
    gchar *uri = nullptr;
    g_object_get(e, "uri", &uri, nullptr);
    EXPECT_STREQ(uri, "ws://127.0.0.1:2/") << factory;
    g_free(uri);

    if (child)
      g_object_unref(child);
    if (sig)
      g_object_unref(sig);
    gst_object_unref(e);
  }
}

/* Replacing the signaller (uri or signaller property) drops the old one
 * outside the element's lock: the last reference may join its thread, and
 * whatever runs at its dispose may call the element. Here the dispose of
 * the old signaller reads the element's uri (which takes that lock). */
TEST(Threads, SignallerDroppedOutsideTheLock) {
  for (const char *prop : {"uri", "signaller"}) {
    for (const char *factory : {"webrtcsink", "webrtcsrc"}) {
      GstElement *e = make(factory, "ws://127.0.0.1:1/");
      ASSERT_NE(e, nullptr);
      GObject *old = nullptr;
      g_object_get(e, "signaller", &old, nullptr);
      ASSERT_NE(old, nullptr);
      g_object_weak_ref(
          old,
          [](gpointer data, GObject *) {
            gchar *uri = nullptr;
            g_object_get(G_OBJECT(data), "uri", &uri, nullptr);
            g_free(uri);
          },
          e);
      g_object_unref(old); /* the element holds the last reference */

      std::mutex m;
      std::condition_variable cv;
      bool done = false;
      GObject *replacement = nullptr;
      if (g_str_equal(prop, "signaller")) {
        GstElement *other = make(factory, "ws://127.0.0.1:3/");
        g_object_get(other, "signaller", &replacement, nullptr);
        gst_object_unref(other);
      }
      std::thread setter([&]() {
        if (replacement)
          g_object_set(e, "signaller", replacement, nullptr);
        else
          g_object_set(e, "uri", "ws://127.0.0.1:2/", nullptr);
        std::lock_guard<std::mutex> g(m);
        done = true;
        cv.notify_all();
      });
      bool finished;
      {
        std::unique_lock<std::mutex> lk(m);
        finished
            = cv.wait_for(lk, std::chrono::seconds(5), [&] { return done; });
      }
      if (!finished) {
        ADD_FAILURE() << factory << ": setting " << prop
                      << " deadlocked (the old signaller was unreffed with the "
                         "element's lock held)";
        setter.detach();
        return; /* the element is stuck: leak it */
      }
      setter.join();
      if (replacement)
        g_object_unref(replacement);
      gst_object_unref(e);
    }
  }
}

} // namespace

int
main(int argc, char **argv) {
  gst_init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
