/* gst-webrtc-session: known-good settings of the encoders webrtcsink may
 * use, by factory name.
 *
 * One row per encoder: the codec it makes, whether it is hardware, the
 * property that holds the bitrate and its unit, the key-frame interval
 * property, the settings that make it fit for real time (zero latency, no
 * B-frames, constant bitrate), the caps to force after it, and whether a
 * bitrate change takes effect while it runs (for congestion control).
 * Rows of hardware encoders come from their documentation; none of that
 * hardware is on the test machines (docs/elements.md "Encoders").
 *
 * Pure data and lookups; any thread. */
#pragma once

#include <gst/gst.h>

namespace gws {

struct EncoderSettings {
  const char *factory; /* "x264enc" */
  const char *codec;   /* the codec table's name: "H264" */
  bool hardware;
  /* How the bitrate is set: a plain property, or a field of the
   * "extra-controls" GstStructure (V4L2 encoders). */
  enum class Bitrate { Property, V4l2Control } bitrate_kind;
  const char *bitrate_name;  /* property or control; nullptr: none */
  guint bitrate_unit;        /* bits per second per unit: 1 or 1000 */
  const char *keyframe_name; /* frames between key frames (property or
                              * control); nullptr: none */
  /* "name=value name=value": set in order with gst_util_set_object_arg()
   * (enum nicks, booleans, numbers); nullptr: none. */
  const char *realtime;
  /* Caps right after the encoder; nullptr: the codec's default
   * (codec_encoder_output_caps()). */
  const char *output_caps;
  /* Changing the bitrate while PLAYING takes effect. */
  bool runtime_bitrate;
  /* The converter in front of it; nullptr: videoconvert (audioconvert).
   * Jetson's encoder takes only NVMM memory, which nvvidconv makes. */
  const char *converter = nullptr;
};

/* The row of @factory, or nullptr for an encoder we know nothing of. */
const EncoderSettings *encoder_settings_lookup(const char *factory);

/* Every row, in our order of preference per codec (hardware first). */
const EncoderSettings *encoder_settings_table(gsize *n);

/* Applies @row's real-time settings, @bitrate_bps and @keyframe_interval
 * (frames) to @encoder. Settings the element lacks are skipped with a
 * debug line. */
void encoder_apply_settings(GstElement *encoder, const EncoderSettings &row,
    guint bitrate_bps, guint keyframe_interval);

/* Sets @encoder's bitrate to @bitrate_bps in its own unit. Returns FALSE
 * when the factory has no row, no bitrate setting, or (when @running) does
 * not take a change while it runs. For congestion control. */
gboolean encoder_set_bitrate(
    GstElement *encoder, guint bitrate_bps, gboolean running);

/* Whether congestion control can move @factory's bitrate while it runs
 * (a row with a bitrate setting and runtime_bitrate). */
bool encoder_bitrate_runtime(const char *factory);

/* @encoder's bitrate in bits per second, or 0 when unknown. */
guint encoder_get_bitrate(GstElement *encoder);

} // namespace gws
