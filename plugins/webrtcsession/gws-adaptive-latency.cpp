/* gst-webrtc-session: a receiver's jitter-buffer latency that grows when
 * retransmissions come too late (see the header). */
#include "gws-adaptive-latency.h"

#include "gws-debug.h"

GWS_DEBUG_CATEGORY(gws_adaptive_latency_debug, "gws-adaptive-latency",
    "gst-webrtc-session receiver latency growth on late retransmissions");
#define GST_CAT_DEFAULT gws_adaptive_latency_debug()

namespace gws {

namespace {

constexpr gint64 kMinStepGapUs = 500 * G_TIME_SPAN_MILLISECOND;

/* Owned by the probe; touched only on the jitter buffer's output thread. */
struct Adapter {
  guint floor_ms = 0;    /* the latency the jitter buffer started with */
  guint64 late_seen = 0; /* num-late at the previous given-up packet */
  gint64 last_step_us = 0;
};

guint64
late_packets(GstElement *jb) {
  GstStructure *stats = nullptr;
  g_object_get(jb, "stats", &stats, nullptr);
  guint64 late = 0;
  if (stats) {
    gst_structure_get_uint64(stats, "num-late", &late);
    gst_structure_free(stats);
  }
  return late;
}

/* A packet was given up (@retries retransmission requests had been sent
 * for it). */
void
on_given_up(GstElement *jb, Adapter &a, guint retries) {
  if (retries == 0)
    return; /* never asked for: nothing a longer wait would have changed */
  guint current = 0;
  g_object_get(jb, "latency", &current, nullptr);
  if (a.floor_ms == 0)
    a.floor_ms = current ? current : 1;
  guint64 late = late_packets(jb);
  bool came_late = late > a.late_seen;
  a.late_seen = late;
  gint64 now = g_get_monotonic_time();
  guint ceiling = a.floor_ms + kAdaptiveLatencyHeadroomMs;
  if (!came_late || current >= ceiling
      || (a.last_step_us && now - a.last_step_us < kMinStepGapUs))
    return;
  guint next = MIN(ceiling, current + kAdaptiveLatencyStepMs);
  a.last_step_us = now;
  GST_INFO_OBJECT(jb,
      "retransmissions arrive after their deadline (%" G_GUINT64_FORMAT
      " late so far): latency %u -> %u ms (at most %u)",
      late, current, next, ceiling);
  /* The jitter buffer's lock is not held while it pushes an event; it
   * posts a LATENCY message for the pipeline. */
  g_object_set(jb, "latency", next, nullptr);
}

} // namespace

void
adaptive_latency_attach(GstElement *jitterbuffer) {
  GstPad *src = gst_element_get_static_pad(jitterbuffer, "src");
  if (!src) {
    GST_WARNING_OBJECT(jitterbuffer, "no src pad: latency stays fixed");
    return;
  }
  gst_pad_add_probe(
      src, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      [](GstPad *pad, GstPadProbeInfo *info, gpointer data) {
        GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
        if (GST_EVENT_TYPE(event) != GST_EVENT_CUSTOM_DOWNSTREAM
            || !gst_event_has_name(event, "GstRTPPacketLost"))
          return GST_PAD_PROBE_OK;
        guint retries = 0;
        gst_structure_get_uint(
            gst_event_get_structure(event), "retry", &retries);
        GstElement *jb = gst_pad_get_parent_element(pad);
        if (jb) {
          on_given_up(jb, *static_cast<Adapter *>(data), retries);
          gst_object_unref(jb);
        }
        return GST_PAD_PROBE_OK;
      },
      new Adapter(), [](gpointer p) { delete static_cast<Adapter *>(p); });
  gst_object_unref(src);
  GST_DEBUG_OBJECT(jitterbuffer, "latency grows on late retransmissions");
}

} // namespace gws
