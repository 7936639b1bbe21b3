/* gst-webrtc-session: setting a running encoder's bitrate.
 *
 * Congestion control moves a shared encoder's bitrate while it runs. Each
 * encoder names and scales that property its own way:
 *
 *   encoder                          property         unit
 *   vp8enc, vp9enc                   target-bitrate   bit/s
 *   openh264enc                      bitrate          bit/s
 *   x264enc, x265enc                 bitrate          kbit/s
 *   av1enc                           target-bitrate   kbit/s
 *   nvh264enc, nvh265enc, nvv4l2*,
 *   vaapih264enc, vaapih265enc,
 *   vah264enc, vah265enc,
 *   vah264lpenc, qsvh264enc,
 *   qsvh265enc, msdkh264enc          bitrate          kbit/s
 *
 * An encoder not in the table is left at its own rate (and a warning
 * says so once): the estimate is still computed and reported.
 *
 * Threading: any thread (g_object_set on a property the encoder allows
 * to change while PLAYING). */
#pragma once

#include <gst/gst.h>

#include <cstdint>

namespace gws {

/* Whether @factory's bitrate can be set by encoder_set_bitrate(). */
bool encoder_bitrate_supported(const char *factory);

/* Sets @encoder (made by @factory) to @bps, clamped to what the property
 * accepts. Returns false if the encoder is not in the table. */
bool encoder_set_bitrate(GstElement *encoder, const char *factory, int64_t bps);

/* Makes @encoder's rate control react within about a second to a new
 * bitrate, as real-time encoders do (vp8enc/vp9enc: a 1 s rate buffer
 * instead of 6 s; others are left as they are). Called when a branch is
 * built. */
void encoder_tune_rate_control(GstElement *encoder, const char *factory);

/* The encoder's current bitrate in bit/s, 0 if unknown. */
int64_t encoder_get_bitrate(GstElement *encoder, const char *factory);

} // namespace gws
