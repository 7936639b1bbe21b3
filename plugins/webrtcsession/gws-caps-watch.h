/* gst-webrtc-session: caps changes a recorder may not survive.
 *
 * webrtcsink: viewers get H264 constrained-baseline (offered as 42e01f).
 * A pre-encoded input of another profile (x264enc's default for I420 is
 * High) is asked to switch when the first viewer arrives, and whatever
 * else that encoder feeds (a recorder on a tee) sees a caps change
 * mid-stream. The sink warns when such an input appears, and when its
 * profile then changes.
 *
 * webrtcsrc: an encoded output (for a recorder) whose caps change
 * mid-stream (the producer switched profile or size) can make a muxer
 * fail; the source warns, naming the pad and both caps. */
#pragma once

#include <gst/gst.h>

#include <string>

namespace gws {

/* webrtcsink, streaming thread: input @name's caps go from @old_caps
 * (nullable: the first caps) to @caps. Posts the warning on @element. */
void check_input_caps(GstElement *element, const std::string &name,
    const GstCaps *old_caps, const GstCaps *caps);

/* webrtcsrc: watches the caps of @pad (a new source pad of @element). */
void watch_output_caps(GstElement *element, GstPad *pad);

} // namespace gws
