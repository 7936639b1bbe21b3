/* gst-webrtc-session: finding elements of a kind inside a webrtcbin.
 *
 * Several pieces tune or probe what webrtcbin makes inside itself (its
 * rtpsessions, jitter buffers, FEC encoders), which appears only during
 * negotiation. watch_elements() hands each element to a function, those
 * inside already and each one added later (deep-element-added: GStreamer
 * also emits it for every child of a bin added whole).
 *
 * Threading: @fn runs on the calling thread for the elements inside
 * already, then on whatever thread adds an element (a streaming thread or
 * the session thread); it must only set up that element. */
#pragma once

#include <gst/gst.h>

namespace gws {

/* The name of @element's factory ("rtpsession"), "" when it has none. */
const char *element_factory_name(GstElement *element);

/* Calls @fn for every element inside @bin, now and as they are added. */
void watch_elements(GstElement *bin, void (*fn)(GstElement *element));

} // namespace gws
