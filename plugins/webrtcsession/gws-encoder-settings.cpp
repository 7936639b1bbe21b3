/* gst-webrtc-session: known-good encoder settings (see
 * gws-encoder-settings.h). */
#include "gws-encoder-settings.h"

#include "gws-debug.h"

#include <cstring>
#include <string>

GWS_DEBUG_CATEGORY(gws_encoder_settings_debug, "gws-encoder-settings",
    "webrtcsink encoder settings: bitrate, key frames, real-time options")
#define GST_CAT_DEFAULT gws_encoder_settings_debug()

namespace gws {

namespace {

using B = EncoderSettings::Bitrate;

/* Sources: gst-inspect-1.0 of the software encoders on Debian 12
 * (GStreamer 1.22); the GStreamer plugin documentation of nvcodec, va,
 * vaapi, qsv and v4l2codecs/video4linux2; NVIDIA's Jetson Linux
 * accelerated GStreamer guide and V4L2 encoder reference (bitrate is
 * runtime configurable); NXP's i.MX GStreamer plugin guide. Units: x264,
 * x265, NVENC, VA, VA-API, QSV and the i.MX VPU take kbit/s; openh264,
 * libvpx, opus, Jetson and V4L2 take bit/s. */
const EncoderSettings kTable[] = {
    /* H264, hardware first. */
    {"nvh264enc", "H264", true, B::Property, "bitrate", 1000, "gop-size",
        "preset=low-latency-hq rc-mode=cbr zerolatency=true bframes=0", nullptr,
        true},
    {"nvv4l2h264enc", "H264", true, B::Property, "bitrate", 1, "iframeinterval",
        "control-rate=constant_bitrate insert-sps-pps=true idrinterval=60 "
        "maxperf-enable=true",
        "video/x-h264, stream-format=(string)byte-stream, "
        "alignment=(string)au",
        true, "nvvidconv"},
    {"v4l2h264enc", "H264", true, B::V4l2Control, "video_bitrate", 1,
        "h264_i_frame_period", nullptr,
        /* The Raspberry Pi's encoder negotiates only with a level. */
        "video/x-h264, stream-format=(string)byte-stream, "
        "alignment=(string)au, level=(string)4, "
        "profile=(string)constrained-baseline",
        false},
    {"vah264lpenc", "H264", true, B::Property, "bitrate", 1000, "key-int-max",
        "rate-control=cbr b-frames=0 target-usage=7", nullptr, false},
    {"vah264enc", "H264", true, B::Property, "bitrate", 1000, "key-int-max",
        "rate-control=cbr b-frames=0 target-usage=7", nullptr, false},
    {"vaapih264enc", "H264", true, B::Property, "bitrate", 1000,
        "keyframe-period", "rate-control=cbr max-bframes=0", nullptr, false},
    {"qsvh264enc", "H264", true, B::Property, "bitrate", 1000, "gop-size",
        "rate-control=cbr b-frames=0 target-usage=7", nullptr, false},
    {"vpuenc_h264", "H264", true, B::Property, "bitrate", 1000, "gop-size",
        nullptr, nullptr, false},
    /* H264, software. */
    {"x264enc", "H264", false, B::Property, "bitrate", 1000, "key-int-max",
        "speed-preset=ultrafast tune=zerolatency", nullptr, true},
    {"openh264enc", "H264", false, B::Property, "bitrate", 1, "gop-size",
        "complexity=low", nullptr, true},
    /* VP8 / VP9. */
    {"vavp8enc", "VP8", true, B::Property, "bitrate", 1000, "key-int-max",
        "rate-control=cbr target-usage=7", nullptr, false},
    /* buffer-*: the milliseconds of data libvpx's rate control plans over
     * (6000 / 4000 / 5000 by default); with 6 s a lower target set by
     * congestion control takes seconds to show on the wire while a smaller
     * link's queue overflows. threads=1: libvpx's VP8 encoder makes its
     * row threads wait for each other by spinning (pause loops), so on a
     * busy machine a thread burns its core waiting for one that is not
     * running: threads=2 took 10x the CPU of threads=1 for the same 640x480
     * frames with the cores shared (docs/benchmarks.md "fanout"), and one
     * thread encodes 640x480 in under 2 ms a frame. VP9's threads block
     * instead. */
    {"vp8enc", "VP8", false, B::Property, "target-bitrate", 1,
        "keyframe-max-dist",
        "deadline=1 lag-in-frames=0 threads=1 cpu-used=8 end-usage=cbr "
        "buffer-size=1000 buffer-initial-size=500 buffer-optimal-size=600",
        nullptr, true},
    {"vavp9enc", "VP9", true, B::Property, "bitrate", 1000, "key-int-max",
        "rate-control=cbr target-usage=7", nullptr, false},
    {"vp9enc", "VP9", false, B::Property, "target-bitrate", 1,
        "keyframe-max-dist",
        /* vp9 takes -8..8 for cpu-used; 8 is fastest. */
        "deadline=1 lag-in-frames=0 threads=2 cpu-used=8 end-usage=cbr "
        "buffer-size=1000 buffer-initial-size=500 buffer-optimal-size=600",
        nullptr, true},
    /* Audio: we offer useinbandfec=1, so carry a low-bitrate copy of the
     * previous frame sized for a few percent of loss. */
    {"opusenc", "OPUS", false, B::Property, nullptr, 1, nullptr,
        "inband-fec=true packet-loss-percentage=5", nullptr, true},
};

bool
has_property(GstElement *e, const char *name) {
  return g_object_class_find_property(G_OBJECT_GET_CLASS(e), name) != nullptr;
}

const char *
factory_name(GstElement *e) {
  GstElementFactory *f = gst_element_get_factory(e);
  return f ? gst_plugin_feature_get_name(GST_PLUGIN_FEATURE(f)) : nullptr;
}

/* Sets a numeric property from a number of the right type. */
void
set_number(GstElement *e, const char *name, guint64 value) {
  std::string text = std::to_string(value);
  gst_util_set_object_arg(G_OBJECT(e), name, text.c_str());
}

void
set_v4l2_controls(
    GstElement *e, const EncoderSettings &row, guint bitrate, guint keyframes) {
  if (!has_property(e, "extra-controls"))
    return;
  GstStructure *controls = nullptr;
  g_object_get(e, "extra-controls", &controls, nullptr);
  if (!controls)
    controls = gst_structure_new_empty("controls");
  if (row.bitrate_name && bitrate)
    gst_structure_set(controls, row.bitrate_name, G_TYPE_INT,
        static_cast<gint>(bitrate / row.bitrate_unit), nullptr);
  if (row.keyframe_name && keyframes)
    gst_structure_set(controls, row.keyframe_name, G_TYPE_INT,
        static_cast<gint>(keyframes), nullptr);
  /* SPS/PPS with every key frame, so a late viewer can start. */
  gst_structure_set(controls, "repeat_sequence_header", G_TYPE_INT, 1, nullptr);
  g_object_set(e, "extra-controls", controls, nullptr);
  gst_structure_free(controls);
}

} // namespace

const EncoderSettings *
encoder_settings_lookup(const char *factory) {
  if (!factory)
    return nullptr;
  for (const auto &row : kTable) {
    if (std::strcmp(row.factory, factory) == 0)
      return &row;
  }
  return nullptr;
}

const EncoderSettings *
encoder_settings_table(gsize *n) {
  *n = G_N_ELEMENTS(kTable);
  return kTable;
}

void
encoder_apply_settings(GstElement *encoder, const EncoderSettings &row,
    guint bitrate_bps, guint keyframe_interval) {
  if (row.realtime) {
    g_auto(GStrv) pairs = g_strsplit(row.realtime, " ", -1);
    for (gchar **p = pairs; *p; p++) {
      if (!**p)
        continue;
      g_auto(GStrv) kv = g_strsplit(*p, "=", 2);
      if (!kv[0] || !kv[1])
        continue;
      if (!has_property(encoder, kv[0])) {
        GST_DEBUG_OBJECT(
            encoder, "%s has no property %s: skipped", row.factory, kv[0]);
        continue;
      }
      gst_util_set_object_arg(G_OBJECT(encoder), kv[0], kv[1]);
    }
  }
  if (row.bitrate_kind == EncoderSettings::Bitrate::V4l2Control) {
    set_v4l2_controls(encoder, row, bitrate_bps, keyframe_interval);
  } else {
    if (row.bitrate_name && bitrate_bps
        && has_property(encoder, row.bitrate_name))
      set_number(encoder, row.bitrate_name, bitrate_bps / row.bitrate_unit);
    if (row.keyframe_name && keyframe_interval
        && has_property(encoder, row.keyframe_name))
      set_number(encoder, row.keyframe_name, keyframe_interval);
  }
  GST_DEBUG_OBJECT(encoder, "%s: %u bit/s, key frame every %u frames, %s",
      row.factory, bitrate_bps, keyframe_interval,
      row.realtime ? row.realtime : "no other settings");
}

gboolean
encoder_set_bitrate(GstElement *encoder, guint bitrate_bps, gboolean running) {
  const EncoderSettings *row = encoder_settings_lookup(factory_name(encoder));
  if (!row || !row->bitrate_name || (running && !row->runtime_bitrate))
    return FALSE;
  if (row->bitrate_kind == EncoderSettings::Bitrate::V4l2Control) {
    set_v4l2_controls(encoder, *row, bitrate_bps, 0);
    return TRUE;
  }
  if (!has_property(encoder, row->bitrate_name))
    return FALSE;
  set_number(encoder, row->bitrate_name, bitrate_bps / row->bitrate_unit);
  return TRUE;
}

bool
encoder_bitrate_runtime(const char *factory) {
  const EncoderSettings *row = encoder_settings_lookup(factory);
  return row && row->bitrate_name && row->runtime_bitrate;
}

guint
encoder_get_bitrate(GstElement *encoder) {
  const EncoderSettings *row = encoder_settings_lookup(factory_name(encoder));
  if (!row || !row->bitrate_name
      || row->bitrate_kind != EncoderSettings::Bitrate::Property)
    return 0;
  GParamSpec *p = g_object_class_find_property(
      G_OBJECT_GET_CLASS(encoder), row->bitrate_name);
  if (!p)
    return 0;
  GValue v = G_VALUE_INIT;
  g_value_init(&v, p->value_type);
  g_object_get_property(G_OBJECT(encoder), row->bitrate_name, &v);
  GValue u = G_VALUE_INIT;
  g_value_init(&u, G_TYPE_UINT64);
  guint out = 0;
  if (g_value_transform(&v, &u))
    out = static_cast<guint>(g_value_get_uint64(&u) * row->bitrate_unit);
  g_value_unset(&u);
  g_value_unset(&v);
  return out;
}

} // namespace gws
