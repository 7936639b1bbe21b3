/* gst-webrtc-session: congestion control properties (see
 * gws-congestion-settings.h). */
#include "gws-congestion-settings.h"

#include <algorithm>

GType
gws_congestion_control_get_type(void) {
  static gsize type = 0;
  static const GEnumValue values[] = {
      {GWS_CONGESTION_CONTROL_DISABLED,
          "No congestion control: every encoder keeps its fixed bitrate",
          "disabled"},
      {GWS_CONGESTION_CONTROL_GCC,
          "Per-consumer delay- and loss-based estimate from transport-wide "
          "feedback (GCC family); the shared encoder follows it",
          "gcc"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) {
    GType t = g_enum_register_static("GwsCongestionControl", values);
    g_once_init_leave(&type, t);
  }
  return type;
}

namespace gws {

namespace {

enum Offset : guint { kMode = 0, kMin, kStart, kMax, kRenditions };

} // namespace

BandwidthEstimator::Config
CongestionSettings::estimator_config() const {
  BandwidthEstimator::Config c;
  c.min_bps = min_bps;
  c.max_bps = std::max(max_bps, min_bps);
  c.start_bps = std::clamp<int64_t>(start_bps, c.min_bps, c.max_bps);
  return c;
}

void
congestion_install_properties(GObjectClass *klass, guint first_id) {
  const auto rw = static_cast<GParamFlags>(
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  CongestionSettings d;
  g_object_class_install_property(klass, first_id + kMode,
      g_param_spec_enum("congestion-control", "Congestion control",
          "How each consumer's sending rate adapts to its network path: "
          "gcc estimates the path's capacity per consumer from "
          "transport-wide congestion control feedback (the delay trend) and "
          "loss, and the encoder follows the estimate; disabled keeps every "
          "encoder at its fixed rate. Pre-encoded input is never re-encoded: "
          "its estimate is only reported (stats, gws-bandwidth-estimate "
          "message). Applies to new sessions",
          GWS_TYPE_CONGESTION_CONTROL, d.mode, rw));
  g_object_class_install_property(klass, first_id + kMin,
      g_param_spec_uint("min-bitrate", "Minimum bitrate",
          "Lowest rate (bit/s) congestion control asks of an encoder, "
          "however bad the path",
          1000, G_MAXUINT, d.min_bps, rw));
  g_object_class_install_property(klass, first_id + kStart,
      g_param_spec_uint("start-bitrate", "Start bitrate",
          "Rate (bit/s) a consumer's estimate starts from, before any "
          "feedback; it then doubles each second until the path first "
          "shows a queue or loss. A new consumer starts on the rendition "
          "this rate suits",
          1000, G_MAXUINT, d.start_bps, rw));
  g_object_class_install_property(klass, first_id + kMax,
      g_param_spec_uint("max-bitrate", "Maximum bitrate",
          "Highest rate (bit/s) congestion control asks of an encoder, "
          "however good the path",
          1000, G_MAXUINT, d.max_bps, rw));
  g_object_class_install_property(klass, first_id + kRenditions,
      g_param_spec_uint("max-renditions", "Maximum renditions",
          "Most encoders one input stream runs per codec. Consumers whose "
          "estimates differ a lot (one under 0.7 x another) get different "
          "renditions, each a shared encoder at a rate all its consumers' "
          "paths carry; a consumer moves between them on a key frame, with "
          "no renegotiation. 1: one encoder per stream and codec, at the "
          "lowest estimate of its consumers",
          1, 8, d.max_renditions, rw));
}

bool
congestion_set_property(
    CongestionSettings &s, guint first_id, guint prop_id, const GValue *value) {
  if (prop_id < first_id || prop_id > first_id + kRenditions)
    return false;
  switch (prop_id - first_id) {
    case kRenditions:
      s.max_renditions = g_value_get_uint(value);
      break;
    case kMode:
      s.mode = static_cast<GwsCongestionControl>(g_value_get_enum(value));
      break;
    case kMin:
      s.min_bps = g_value_get_uint(value);
      break;
    case kStart:
      s.start_bps = g_value_get_uint(value);
      break;
    case kMax:
      s.max_bps = g_value_get_uint(value);
      break;
  }
  return true;
}

bool
congestion_get_property(
    const CongestionSettings &s, guint first_id, guint prop_id, GValue *value) {
  if (prop_id < first_id || prop_id > first_id + kRenditions)
    return false;
  switch (prop_id - first_id) {
    case kRenditions:
      g_value_set_uint(value, s.max_renditions);
      break;
    case kMode:
      g_value_set_enum(value, s.mode);
      break;
    case kMin:
      g_value_set_uint(value, s.min_bps);
      break;
    case kStart:
      g_value_set_uint(value, s.start_bps);
      break;
    case kMax:
      g_value_set_uint(value, s.max_bps);
      break;
  }
  return true;
}

} // namespace gws
