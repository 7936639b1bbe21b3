/* gst-webrtc-session: input pacing (see gws-input-pacer.h). */
#include "gws-input-pacer.h"

#include "gws-debug.h"

GWS_DEBUG_CATEGORY(gws_input_pacer_debug, "gws-input-pacer",
    "webrtcsink pacing of a non-live input")
#define GST_CAT_DEFAULT gws_input_pacer_debug()

namespace gws {

namespace {

struct PacerData {
  GstElement *element; /* not owned: the pacer lives inside it */
  std::string name;
};

/* Streaming thread, first buffer of the input (and of every restart after
 * a flush: the probe stays until a buffer answers). */
GstPadProbeReturn
first_buffer(GstPad *pad, GstPadProbeInfo *info, gpointer user_data) {
  auto *data = static_cast<PacerData *>(user_data);
  if (!(GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_BUFFER))
    return GST_PAD_PROBE_OK;
  GstQuery *query = gst_query_new_latency();
  gboolean answered = gst_pad_peer_query(pad, query);
  gboolean live = TRUE;
  if (answered)
    gst_query_parse_latency(query, &live, nullptr, nullptr);
  gst_query_unref(query);
  if (!answered) {
    GST_DEBUG_OBJECT(pad, "no latency answer: taking the input as live");
  } else if (!live) {
    GstElement *pacer = GST_ELEMENT(gst_pad_get_parent(pad));
    if (pacer) {
      g_object_set(pacer, "sync", TRUE, nullptr);
      gst_object_unref(pacer);
    }
    GST_ELEMENT_WARNING(data->element, STREAM, FORMAT,
        ("input %s is not live (e.g. videotestsrc without is-live=true, or a "
         "file): webrtcsink sends it at the pace of the clock, as a live "
         "source would be; make the source live to avoid this",
            data->name.c_str()),
        (nullptr));
  }
  return GST_PAD_PROBE_REMOVE;
}

} // namespace

GstElement *
make_input_pacer(GstElement *element, const std::string &name) {
  std::string pacer_name = "pace-" + name;
  GstElement *pacer = gst_element_factory_make("clocksync", pacer_name.c_str());
  if (!pacer)
    return nullptr;
  g_object_set(pacer, "sync", FALSE, nullptr);
  GstPad *sink = gst_element_get_static_pad(pacer, "sink");
  gst_pad_add_probe(sink, GST_PAD_PROBE_TYPE_BUFFER, first_buffer,
      new PacerData{element, name},
      [](gpointer d) { delete static_cast<PacerData *>(d); });
  gst_object_unref(sink);
  return pacer;
}

} // namespace gws
