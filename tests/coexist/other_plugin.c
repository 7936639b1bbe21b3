/* A second plugin for tests/coexist: it registers elements named
 * "webrtcsink" and "webrtcsrc", as another plugin set (gst-plugins-rs'
 * rswebrtc) does, so the test can show what GStreamer does when two
 * installed plugins use the same element names. Its types are plain bins
 * with their own names (OtherWebRTCSink, OtherWebRTCSrc); the rank comes
 * from the build (OTHER_RANK). */
#include <gst/gst.h>

#ifndef OTHER_RANK
#define OTHER_RANK GST_RANK_PRIMARY
#endif

typedef struct {
  GstBin parent;
} OtherWebRTCSink;
typedef struct {
  GstBinClass parent_class;
} OtherWebRTCSinkClass;
typedef struct {
  GstBin parent;
} OtherWebRTCSrc;
typedef struct {
  GstBinClass parent_class;
} OtherWebRTCSrcClass;

G_DEFINE_TYPE(OtherWebRTCSink, other_webrtc_sink, GST_TYPE_BIN)
G_DEFINE_TYPE(OtherWebRTCSrc, other_webrtc_src, GST_TYPE_BIN)

static void
other_webrtc_sink_class_init(OtherWebRTCSinkClass *klass) {
  gst_element_class_set_static_metadata(GST_ELEMENT_CLASS(klass),
      "Other WebRTC sink", "Sink/Network/WebRTC",
      "A second plugin's webrtcsink (tests/coexist)", "tests");
}

static void
other_webrtc_sink_init(OtherWebRTCSink *self) {}

static void
other_webrtc_src_class_init(OtherWebRTCSrcClass *klass) {
  gst_element_class_set_static_metadata(GST_ELEMENT_CLASS(klass),
      "Other WebRTC source", "Source/Network/WebRTC",
      "A second plugin's webrtcsrc (tests/coexist)", "tests");
}

static void
other_webrtc_src_init(OtherWebRTCSrc *self) {}

static gboolean
plugin_init(GstPlugin *plugin) {
  return gst_element_register(
             plugin, "webrtcsink", OTHER_RANK, other_webrtc_sink_get_type())
         && gst_element_register(
             plugin, "webrtcsrc", OTHER_RANK, other_webrtc_src_get_type());
}

#define PACKAGE "gws-coexist-test"
GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, otherwebrtc,
    "A second plugin with webrtcsink and webrtcsrc elements (tests/coexist)",
    plugin_init, "0.1", "LGPL", PACKAGE, "https://example.invalid/")
