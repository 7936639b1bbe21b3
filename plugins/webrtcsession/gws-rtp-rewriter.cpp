/* gst-webrtc-session: per-consumer RTP identity (see gws-rtp-rewriter.h). */
#include "gws-rtp-rewriter.h"

#include <gst/rtp/rtp.h>

namespace gws {

namespace {

void
rewrite_buffer(GstBuffer *buf, const RtpRewrite &rw) {
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  if (!gst_rtp_buffer_map(buf, GST_MAP_READWRITE, &rtp))
    return;
  if (rw.ssrc)
    gst_rtp_buffer_set_ssrc(&rtp, rw.ssrc);
  if (rw.to_pt >= 0 && gst_rtp_buffer_get_payload_type(&rtp) == rw.from_pt)
    gst_rtp_buffer_set_payload_type(&rtp, rw.to_pt);
  gst_rtp_buffer_unmap(&rtp);
}

GstPadProbeReturn
rewrite_probe(GstPad *, GstPadProbeInfo *info, gpointer data) {
  const RtpRewrite &rw = *static_cast<const RtpRewrite *>(data);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
    rewrite_buffer(buf, rw);
    info->data = buf;
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list
        = gst_buffer_list_make_writable(GST_PAD_PROBE_INFO_BUFFER_LIST(info));
    guint n = gst_buffer_list_length(list);
    for (guint i = 0; i < n; i++)
      rewrite_buffer(gst_buffer_list_get_writable(list, i), rw);
    info->data = list;
  } else if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
    if (GST_EVENT_TYPE(event) == GST_EVENT_CAPS) {
      GstCaps *caps = nullptr;
      gst_event_parse_caps(event, &caps);
      GstCaps *copy = gst_caps_copy(caps);
      if (rw.to_pt >= 0)
        gst_caps_set_simple(copy, "payload", G_TYPE_INT, rw.to_pt, nullptr);
      if (rw.ssrc)
        gst_caps_set_simple(copy, "ssrc", G_TYPE_UINT, rw.ssrc, nullptr);
      gst_event_unref(event);
      info->data = gst_event_new_caps(copy);
      gst_caps_unref(copy);
    }
  }
  return GST_PAD_PROBE_OK;
}

} // namespace

guint32
random_ssrc() {
  guint32 v = 0;
  while (v == 0)
    v = g_random_int();
  return v;
}

void
install_rtp_rewrite(GstPad *pad, const RtpRewrite &rw) {
  if (!rw.ssrc && (rw.to_pt < 0 || rw.to_pt == rw.from_pt))
    return;
  gst_pad_add_probe(pad,
      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER
                                   | GST_PAD_PROBE_TYPE_BUFFER_LIST
                                   | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
      rewrite_probe, new RtpRewrite(rw),
      [](gpointer d) { delete static_cast<RtpRewrite *>(d); });
}

} // namespace gws
