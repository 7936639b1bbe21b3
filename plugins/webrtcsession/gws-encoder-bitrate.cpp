/* gst-webrtc-session: a running encoder's bitrate (see
 * gws-encoder-bitrate.h). */
#include "gws-encoder-bitrate.h"

#include <algorithm>
#include <cstring>

namespace gws {

namespace {

struct BitrateProp {
  const char *factory;
  const char *property;
  int64_t unit; /* bit/s per property unit */
};

const BitrateProp kTable[] = {
    {"vp8enc", "target-bitrate", 1},
    {"vp9enc", "target-bitrate", 1},
    {"openh264enc", "bitrate", 1},
    {"x264enc", "bitrate", 1000},
    {"x265enc", "bitrate", 1000},
    {"av1enc", "target-bitrate", 1000},
    {"nvh264enc", "bitrate", 1000},
    {"nvh265enc", "bitrate", 1000},
    {"nvv4l2h264enc", "bitrate", 1},
    {"nvv4l2h265enc", "bitrate", 1},
    {"vaapih264enc", "bitrate", 1000},
    {"vaapih265enc", "bitrate", 1000},
    {"vah264enc", "bitrate", 1000},
    {"vah265enc", "bitrate", 1000},
    {"vah264lpenc", "bitrate", 1000},
    {"qsvh264enc", "bitrate", 1000},
    {"qsvh265enc", "bitrate", 1000},
    {"msdkh264enc", "bitrate", 1000},
};

const BitrateProp *
lookup(const char *factory) {
  if (!factory)
    return nullptr;
  for (const auto &p : kTable) {
    if (strcmp(p.factory, factory) == 0)
      return &p;
  }
  return nullptr;
}

} // namespace

bool
encoder_bitrate_supported(const char *factory) {
  return lookup(factory) != nullptr;
}

bool
encoder_set_bitrate(GstElement *encoder, const char *factory, int64_t bps) {
  const BitrateProp *p = lookup(factory);
  if (!p || !encoder)
    return false;
  GParamSpec *spec
      = g_object_class_find_property(G_OBJECT_GET_CLASS(encoder), p->property);
  if (!spec)
    return false;
  int64_t v = std::max<int64_t>(1, bps / p->unit);
  GValue value = G_VALUE_INIT;
  g_value_init(&value, spec->value_type);
  switch (spec->value_type) {
    case G_TYPE_INT: {
      auto *s = G_PARAM_SPEC_INT(spec);
      g_value_set_int(&value,
          static_cast<gint>(std::clamp<int64_t>(v, s->minimum, s->maximum)));
      break;
    }
    case G_TYPE_UINT: {
      auto *s = G_PARAM_SPEC_UINT(spec);
      g_value_set_uint(&value,
          static_cast<guint>(std::clamp<int64_t>(v, s->minimum, s->maximum)));
      break;
    }
    default:
      g_value_unset(&value);
      return false;
  }
  g_object_set_property(G_OBJECT(encoder), p->property, &value);
  g_value_unset(&value);
  return true;
}

void
encoder_tune_rate_control(GstElement *encoder, const char *factory) {
  if (!encoder || !factory)
    return;
  if (strcmp(factory, "vp8enc") == 0 || strcmp(factory, "vp9enc") == 0) {
    /* Milliseconds of data the rate control plans over (libvpx defaults:
     * 6000 / 4000 / 5000); with 6 s a lower target takes seconds to show
     * on the wire while a smaller link's queue overflows. */
    g_object_set(encoder, "buffer-size", 1000, "buffer-initial-size", 500,
        "buffer-optimal-size", 600, nullptr);
  }
}

int64_t
encoder_get_bitrate(GstElement *encoder, const char *factory) {
  const BitrateProp *p = lookup(factory);
  if (!p || !encoder)
    return 0;
  GParamSpec *spec
      = g_object_class_find_property(G_OBJECT_GET_CLASS(encoder), p->property);
  if (!spec)
    return 0;
  if (spec->value_type == G_TYPE_INT) {
    gint v = 0;
    g_object_get(encoder, p->property, &v, nullptr);
    return int64_t{v} * p->unit;
  }
  if (spec->value_type == G_TYPE_UINT) {
    guint v = 0;
    g_object_get(encoder, p->property, &v, nullptr);
    return int64_t{v} * p->unit;
  }
  return 0;
}

} // namespace gws
