/* A stand-in for a hardware H264 encoder, registered by a test program.
 *
 * No hardware encoder is on the test machines, so the tests register this
 * element under a hardware encoder's factory name (nvh264enc) or a name of
 * their own, at a rank they choose, to prove webrtcsink's encoder choice
 * and that the known-good settings of gws-encoder-settings reach the
 * element. It is a bin around a real x264enc, so the stream it makes is
 * real H264 a consumer decodes. Its properties mimic nvh264enc's (bitrate
 * in kbit/s, gop-size, preset, rc-mode, zerolatency, bframes); bitrate is
 * passed on to the x264enc inside, the others are only recorded. */
#pragma once

#include <gst/gst.h>

#include <string>

namespace fakeenc {

struct FakeEncoder {
  GstBin parent;
  GstElement *x264;
  guint bitrate_kbps;
  gint gop_size;
  gchar *preset;
  gchar *rc_mode;
  gboolean zerolatency;
  guint bframes;
};
struct FakeEncoderClass {
  GstBinClass parent_class;
};

enum {
  PROP_0,
  PROP_BITRATE,
  PROP_GOP_SIZE,
  PROP_PRESET,
  PROP_RC_MODE,
  PROP_ZEROLATENCY,
  PROP_BFRAMES
};

inline GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS("video/x-raw"));
inline GstStaticPadTemplate src_template
    = GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS,
        GST_STATIC_CAPS("video/x-h264, stream-format=(string)byte-stream, "
                        "alignment=(string)au"));

inline void
set_property(GObject *o, guint id, const GValue *v, GParamSpec *) {
  auto *self = reinterpret_cast<FakeEncoder *>(o);
  switch (id) {
    case PROP_BITRATE:
      self->bitrate_kbps = g_value_get_uint(v);
      g_object_set(self->x264, "bitrate", self->bitrate_kbps, nullptr);
      break;
    case PROP_GOP_SIZE:
      self->gop_size = g_value_get_int(v);
      break;
    case PROP_PRESET:
      g_free(self->preset);
      self->preset = g_value_dup_string(v);
      break;
    case PROP_RC_MODE:
      g_free(self->rc_mode);
      self->rc_mode = g_value_dup_string(v);
      break;
    case PROP_ZEROLATENCY:
      self->zerolatency = g_value_get_boolean(v);
      break;
    case PROP_BFRAMES:
      self->bframes = g_value_get_uint(v);
      break;
  }
}

inline void
get_property(GObject *o, guint id, GValue *v, GParamSpec *) {
  auto *self = reinterpret_cast<FakeEncoder *>(o);
  switch (id) {
    case PROP_BITRATE:
      g_value_set_uint(v, self->bitrate_kbps);
      break;
    case PROP_GOP_SIZE:
      g_value_set_int(v, self->gop_size);
      break;
    case PROP_PRESET:
      g_value_set_string(v, self->preset);
      break;
    case PROP_RC_MODE:
      g_value_set_string(v, self->rc_mode);
      break;
    case PROP_ZEROLATENCY:
      g_value_set_boolean(v, self->zerolatency);
      break;
    case PROP_BFRAMES:
      g_value_set_uint(v, self->bframes);
      break;
  }
}

inline void
finalize(GObject *o) {
  auto *self = reinterpret_cast<FakeEncoder *>(o);
  g_free(self->preset);
  g_free(self->rc_mode);
  G_OBJECT_CLASS(g_type_class_peek_parent(G_OBJECT_GET_CLASS(o)))->finalize(o);
}

inline void
class_init(gpointer klass, gpointer) {
  auto *oc = G_OBJECT_CLASS(klass);
  auto *ec = GST_ELEMENT_CLASS(klass);
  oc->set_property = set_property;
  oc->get_property = get_property;
  oc->finalize = finalize;
  auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE);
  g_object_class_install_property(oc, PROP_BITRATE,
      g_param_spec_uint("bitrate", "Bitrate", "kbit/s", 0, 100000, 2000, rw));
  g_object_class_install_property(oc, PROP_GOP_SIZE,
      g_param_spec_int("gop-size", "GOP", "frames", -1, 10000, 75, rw));
  g_object_class_install_property(oc, PROP_PRESET,
      g_param_spec_string("preset", "Preset", "preset", "default", rw));
  g_object_class_install_property(oc, PROP_RC_MODE,
      g_param_spec_string("rc-mode", "RC mode", "rate control", "vbr", rw));
  g_object_class_install_property(oc, PROP_ZEROLATENCY,
      g_param_spec_boolean("zerolatency", "Zero latency", "zl", FALSE, rw));
  g_object_class_install_property(oc, PROP_BFRAMES,
      g_param_spec_uint("bframes", "B-frames", "b", 0, 4, 2, rw));
  gst_element_class_add_static_pad_template(ec, &sink_template);
  gst_element_class_add_static_pad_template(ec, &src_template);
  gst_element_class_set_static_metadata(ec, "Fake hardware H264 encoder",
      "Codec/Encoder/Video/Hardware", "x264enc in a bin, for tests", "tests");
}

inline void
instance_init(GTypeInstance *instance, gpointer) {
  auto *self = reinterpret_cast<FakeEncoder *>(instance);
  self->bitrate_kbps = 2000;
  self->gop_size = 75;
  self->preset = g_strdup("default");
  self->rc_mode = g_strdup("vbr");
  self->bframes = 2;
  self->x264 = gst_element_factory_make("x264enc", nullptr);
  gst_util_set_object_arg(G_OBJECT(self->x264), "speed-preset", "ultrafast");
  gst_util_set_object_arg(G_OBJECT(self->x264), "tune", "zerolatency");
  g_object_set(self->x264, "key-int-max", 30, "bitrate", 2000, nullptr);
  gst_bin_add(GST_BIN(self), self->x264);
  GstPad *sink = gst_element_get_static_pad(self->x264, "sink");
  GstPad *src = gst_element_get_static_pad(self->x264, "src");
  gst_element_add_pad(
      GST_ELEMENT(self), gst_ghost_pad_new_from_template("sink", sink,
                             gst_static_pad_template_get(&sink_template)));
  gst_element_add_pad(
      GST_ELEMENT(self), gst_ghost_pad_new_from_template("src", src,
                             gst_static_pad_template_get(&src_template)));
  gst_object_unref(sink);
  gst_object_unref(src);
}

/* Registers a fake encoder as @factory at @rank (a GType of its own per
 * name, so each element knows its factory). */
inline bool
register_fake_encoder(const char *factory, guint rank) {
  std::string type_name = std::string("TestFakeEnc_") + factory;
  GTypeInfo info = {};
  info.class_size = sizeof(FakeEncoderClass);
  info.class_init = class_init;
  info.instance_size = sizeof(FakeEncoder);
  info.instance_init = instance_init;
  GType t = g_type_register_static(
      GST_TYPE_BIN, type_name.c_str(), &info, static_cast<GTypeFlags>(0));
  return gst_element_register(nullptr, factory, rank, t);
}

} // namespace fakeenc
