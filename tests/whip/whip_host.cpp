/* A GStreamer peer for the browser WHIP/WHEP test (test_browser.mjs):
 *
 *   whip-host whip-receive TOKEN   webrtcsrc + WHIP server on 127.0.0.1
 *   whip-host whep-serve TOKEN     webrtcsink (test pattern + tone) + WHEP
 *                                  server on 127.0.0.1
 *
 * Prints one line per event on stdout: "listening URL", "session ID",
 * "ended ID", "frames KIND COUNT" (decoded buffers, every 10), "error MSG".
 * Runs until SIGTERM or SIGINT. Like test_whip_e2e.cpp it makes the
 * signallers itself and is linked with --export-dynamic so the plugin
 * shares its signaller interface type. */
#include "gws-whip.h"

#include <gst/gst.h>
#include <glib-unix.h>

#include <cstdio>
#include <map>
#include <mutex>
#include <string>

namespace {

std::mutex out_lock;

void
say(const std::string &line) {
  std::lock_guard<std::mutex> g(out_lock);
  printf("%s\n", line.c_str());
  fflush(stdout);
}

std::mutex count_lock;
std::map<std::string, int> counts;

GstPadProbeReturn
count_probe(GstPad *pad, GstPadProbeInfo *, gpointer) {
  GstCaps *caps = gst_pad_get_current_caps(pad);
  if (!caps)
    return GST_PAD_PROBE_OK;
  std::string name = gst_structure_get_name(gst_caps_get_structure(caps, 0));
  gst_caps_unref(caps);
  std::string kind = name.rfind("video/", 0) == 0 ? "video" : "audio";
  int n;
  {
    std::lock_guard<std::mutex> g(count_lock);
    n = ++counts[kind];
  }
  if (n % 10 == 0)
    say("frames " + kind + " " + std::to_string(n));
  return GST_PAD_PROBE_OK;
}

void
on_pad_added(GstElement *src, GstPad *pad, gpointer pipeline) {
  GstElement *q = gst_element_factory_make("queue", nullptr);
  GstElement *sink = gst_element_factory_make("fakesink", nullptr);
  g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
  gst_bin_add_many(GST_BIN(pipeline), q, sink, nullptr);
  gst_element_link(q, sink);
  GstPad *sinkpad = gst_element_get_static_pad(sink, "sink");
  gst_pad_add_probe(
      sinkpad, GST_PAD_PROBE_TYPE_BUFFER, count_probe, nullptr, nullptr);
  gst_object_unref(sinkpad);
  gst_element_sync_state_with_parent(sink);
  gst_element_sync_state_with_parent(q);
  GstPad *qpad = gst_element_get_static_pad(q, "sink");
  gst_pad_link(pad, qpad);
  gst_object_unref(qpad);
}

gboolean
on_bus(GstBus *, GstMessage *msg, gpointer) {
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    GError *err = nullptr;
    gst_message_parse_error(msg, &err, nullptr);
    say(std::string("error ") + err->message);
    g_error_free(err);
  }
  return G_SOURCE_CONTINUE;
}

} // namespace

int
main(int argc, char **argv) {
  gst_init(&argc, &argv);
  gws_whip_register_schemes();
  if (argc < 2) {
    fprintf(stderr, "usage: %s whip-receive|whep-serve [TOKEN]\n", argv[0]);
    return 2;
  }
  std::string mode = argv[1];
  const char *token = argc > 2 ? argv[2] : nullptr;
  bool whip = mode == "whip-receive";

  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch(
      whip ? "webrtcsrc name=peer ice-addresses=127.0.0.1"
           : "webrtcsink name=peer ice-addresses=127.0.0.1 "
             "videotestsrc is-live=true pattern=ball ! "
             "video/x-raw,width=320,height=240,framerate=30/1 ! peer.video_0 "
             "audiotestsrc is-live=true ! audio/x-raw,rate=48000,channels=2 ! "
             "peer.audio_0",
      &error);
  if (!pipeline) {
    say(std::string("error ") + error->message);
    return 1;
  }
  if (!GST_IS_PIPELINE(pipeline)) {
    GstElement *p = gst_pipeline_new(nullptr);
    gst_bin_add(GST_BIN(p), pipeline);
    pipeline = p;
  }
  GstElement *peer = gst_bin_get_by_name(GST_BIN(pipeline), "peer");
  GwsSignaller *sig = gws_signaller_new_for_uri(
      whip ? "whip-server://127.0.0.1:0/whip"
           : "whep-server://127.0.0.1:0/whep",
      whip ? GWS_SIGNALLER_ROLE_CONSUMER : GWS_SIGNALLER_ROLE_PRODUCER, &error);
  g_object_set(sig, "token", token, nullptr);
  g_signal_connect(sig, "connection-changed",
      G_CALLBACK(+[](GwsSignaller *s, gboolean up, gpointer) {
        if (!up)
          return;
        gchar *url = nullptr;
        g_object_get(s, "endpoint-url", &url, nullptr);
        say(std::string("listening ") + url);
        g_free(url);
      }),
      nullptr);
  g_signal_connect(sig, whip ? "session-started" : "session-requested",
      G_CALLBACK(+[](GwsSignaller *, const char *sid) {
        say(std::string("session ") + sid);
      }),
      nullptr);
  g_signal_connect(sig, "session-ended",
      G_CALLBACK(+[](GwsSignaller *, const char *sid, const char *why) {
        say(std::string("ended ") + sid + " " + (why ? why : ""));
      }),
      nullptr);
  g_object_set(peer, "signaller", sig, nullptr);
  if (whip)
    g_signal_connect(peer, "pad-added", G_CALLBACK(on_pad_added), pipeline);

  GMainLoop *loop = g_main_loop_new(nullptr, FALSE);
  GstBus *bus = gst_element_get_bus(pipeline);
  gst_bus_add_watch(bus, on_bus, nullptr);
  gst_object_unref(bus);
  auto quit = +[](gpointer l) -> gboolean {
    g_main_loop_quit(static_cast<GMainLoop *>(l));
    return G_SOURCE_REMOVE;
  };
  g_unix_signal_add(SIGTERM, quit, loop);
  g_unix_signal_add(SIGINT, quit, loop);
  if (gst_element_set_state(pipeline, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE) {
    say("error could not start the pipeline");
    return 1;
  }
  g_main_loop_run(loop);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(peer);
  gst_object_unref(pipeline);
  g_object_unref(sig);
  g_main_loop_unref(loop);
  return 0;
}
