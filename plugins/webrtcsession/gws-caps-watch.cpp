/* gst-webrtc-session: caps changes (see gws-caps-watch.h). */
#include "gws-caps-watch.h"

namespace gws {

namespace {

const char *
h264_profile(const GstCaps *caps) {
  if (!caps || gst_caps_is_empty(caps))
    return nullptr;
  const GstStructure *s = gst_caps_get_structure(caps, 0);
  if (!gst_structure_has_name(s, "video/x-h264"))
    return nullptr;
  return gst_structure_get_string(s, "profile");
}

bool
viewers_take(const char *profile) {
  return g_strcmp0(profile, "constrained-baseline") == 0
         || g_strcmp0(profile, "baseline") == 0;
}

/* The caps without fields that change with every parameter set and say
 * nothing a muxer minds (codec_data, streamheader). */
GstCaps *
essential(const GstCaps *caps) {
  GstCaps *out = gst_caps_copy(caps);
  for (guint i = 0; i < gst_caps_get_size(out); i++) {
    GstStructure *s = gst_caps_get_structure(out, i);
    gst_structure_remove_fields(s, "codec_data", "streamheader", nullptr);
  }
  return out;
}

const GQuark &
last_caps_quark() {
  static GQuark q = g_quark_from_static_string("gws-last-output-caps");
  return q;
}

GstPadProbeReturn
output_caps_probe(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
  auto *element = static_cast<GstElement *>(data);
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  GstCaps *caps = nullptr;
  gst_event_parse_caps(event, &caps);
  const GstStructure *s = gst_caps_get_structure(caps, 0);
  const char *name = gst_structure_get_name(s);
  /* Raw output goes through converters, which take changes. */
  if (g_str_has_suffix(name, "/x-raw"))
    return GST_PAD_PROBE_OK;
  GstCaps *now = essential(caps);
  auto *before = static_cast<GstCaps *>(
      g_object_get_qdata(G_OBJECT(pad), last_caps_quark()));
  if (before && !gst_caps_is_equal(before, now)) {
    gchar *a = gst_caps_to_string(before);
    gchar *b = gst_caps_to_string(now);
    GST_ELEMENT_WARNING(element, STREAM, FORMAT,
        ("%s changed mid-stream (the producer switched): from %s to %s; a "
         "muxer downstream (mp4mux, matroskamux) may fail on it, and a "
         "recording may need restarting or decoding",
            GST_PAD_NAME(pad), a, b),
        (nullptr));
    g_free(a);
    g_free(b);
  }
  g_object_set_qdata_full(G_OBJECT(pad), last_caps_quark(), now,
      reinterpret_cast<GDestroyNotify>(gst_caps_unref));
  return GST_PAD_PROBE_OK;
}

} // namespace

void
check_input_caps(GstElement *element, const std::string &name,
    const GstCaps *old_caps, const GstCaps *caps) {
  const char *profile = h264_profile(caps);
  const char *before = h264_profile(old_caps);
  if (!profile || g_strcmp0(before, profile) == 0)
    return;
  if (before) {
    GST_ELEMENT_WARNING(element, STREAM, FORMAT,
        ("input %s changed from H264 profile %s to %s mid-stream (viewers "
         "need constrained-baseline): anything else its encoder feeds (a "
         "recorder on a tee) sees this caps change. Put "
         "video/x-h264,profile=constrained-baseline right after the encoder",
            name.c_str(), before, profile),
        (nullptr));
    return;
  }
  if (!viewers_take(profile)) {
    GST_ELEMENT_WARNING(element, STREAM, FORMAT,
        ("input %s is H264 profile %s, but viewers get constrained-baseline: "
         "when the first one arrives the upstream encoder is asked to "
         "switch, a caps change mid-stream that anything else it feeds (a "
         "recorder on a tee) may not survive. Put "
         "video/x-h264,profile=constrained-baseline right after the encoder",
            name.c_str(), profile),
        (nullptr));
  }
}

void
watch_output_caps(GstElement *element, GstPad *pad) {
  if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC)
    return;
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, output_caps_probe,
      element, nullptr);
}

} // namespace gws
