/* gst-webrtc-session: RTCP XR RRTR -> DLRR (see gws-xr-rtt.h). */
#include "gws-xr-rtt.h"

#include "gws-element-watch.h"

#include <gst/rtp/gstrtcpbuffer.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

GST_DEBUG_CATEGORY_STATIC(gws_xr_rtt_debug);
#define GST_CAT_DEFAULT gws_xr_rtt_debug

namespace gws {

namespace {

/* An RRTR older than this is not answered (it would only give a stale
 * round trip; Chromium sends one with every report, about every second). */
constexpr gint64 kMaxAgeUs = 5 * G_USEC_PER_SEC;

void
init_debug() {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(
        gws_xr_rtt_debug, "gws-xr-rtt", 0, "gst-webrtc-session XR RRTR/DLRR");
    g_once_init_leave(&once, 1);
  }
}

void
put32(std::vector<guint8> &out, guint32 v) {
  out.push_back(static_cast<guint8>(v >> 24));
  out.push_back(static_cast<guint8>(v >> 16));
  out.push_back(static_cast<guint8>(v >> 8));
  out.push_back(static_cast<guint8>(v));
}

struct Holder {
  std::shared_ptr<Dlrr> dlrr;
};

void
free_holder(gpointer data, GClosure *) {
  delete static_cast<Holder *>(data);
}

void
on_receiving_rtcp(GObject *session, GstBuffer *buffer, gpointer data) {
  Dlrr &dlrr = *static_cast<Holder *>(data)->dlrr;
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  if (!gst_rtcp_buffer_map(buffer, GST_MAP_READ, &rtcp))
    return;
  gint64 now = g_get_monotonic_time();
  GstRTCPPacket packet;
  for (gboolean more = gst_rtcp_buffer_get_first_packet(&rtcp, &packet); more;
       more = gst_rtcp_packet_move_to_next(&packet)) {
    GST_TRACE_OBJECT(
        session, "RTCP type %d", gst_rtcp_packet_get_type(&packet));
    if (gst_rtcp_packet_get_type(&packet) != GST_RTCP_TYPE_XR)
      continue;
    guint32 ssrc = gst_rtcp_packet_xr_get_ssrc(&packet);
    for (gboolean rb = gst_rtcp_packet_xr_first_rb(&packet); rb;
         rb = gst_rtcp_packet_xr_next_rb(&packet)) {
      guint64 ntp = 0;
      if (gst_rtcp_packet_xr_get_block_type(&packet) == GST_RTCP_XR_TYPE_RRT
          && gst_rtcp_packet_xr_get_rrt(&packet, &ntp)) {
        GST_LOG_OBJECT(session, "RRTR from %08x", ssrc);
        dlrr.on_rrtr(ssrc, ntp, now);
      }
    }
  }
  gst_rtcp_buffer_unmap(&rtcp);
}

/* The SSRC of the report (SR or RR) that starts @buffer: ours. */
bool
report_ssrc(GstBuffer *buffer, guint32 *ssrc) {
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  if (!gst_rtcp_buffer_map(buffer, GST_MAP_READ, &rtcp))
    return false;
  GstRTCPPacket packet;
  bool found = false;
  if (gst_rtcp_buffer_get_first_packet(&rtcp, &packet)) {
    GstRTCPType type = gst_rtcp_packet_get_type(&packet);
    if (type == GST_RTCP_TYPE_SR) {
      gst_rtcp_packet_sr_get_sender_info(
          &packet, ssrc, nullptr, nullptr, nullptr, nullptr);
      found = true;
    } else if (type == GST_RTCP_TYPE_RR) {
      *ssrc = gst_rtcp_packet_rr_get_ssrc(&packet);
      found = true;
    }
  }
  gst_rtcp_buffer_unmap(&rtcp);
  return found;
}

gboolean
on_sending_rtcp(GObject *session, GstBuffer *buffer, gboolean, gpointer data) {
  Dlrr &dlrr = *static_cast<Holder *>(data)->dlrr;
  guint32 ssrc = 0;
  if (!gst_buffer_is_writable(buffer) || !report_ssrc(buffer, &ssrc))
    return FALSE;
  std::vector<Dlrr::Block> blocks = dlrr.take(ssrc, g_get_monotonic_time());
  if (blocks.empty())
    return FALSE;
  std::vector<guint8> xr = dlrr_packet(ssrc, blocks);
  gst_buffer_append_memory(
      buffer, gst_memory_new_wrapped(GST_MEMORY_FLAG_READONLY,
                  g_memdup2(xr.data(), xr.size()), xr.size(), 0, xr.size(),
                  nullptr, nullptr));
  GST_LOG_OBJECT(
      session, "DLRR from %08x for %zu receiver(s)", ssrc, blocks.size());
  return FALSE; /* no reason of ours to keep an otherwise suppressible one */
}

void
watch_element(GstElement *element) {
  if (strcmp(element_factory_name(element), "rtpsession") != 0)
    return;
  GObject *session = nullptr;
  g_object_get(element, "internal-session", &session, nullptr);
  if (!session)
    return;
  auto dlrr = std::make_shared<Dlrr>();
  g_signal_connect_data(session, "on-receiving-rtcp",
      G_CALLBACK(on_receiving_rtcp), new Holder{dlrr}, free_holder,
      GConnectFlags(0));
  g_signal_connect_data(session, "on-sending-rtcp", G_CALLBACK(on_sending_rtcp),
      new Holder{dlrr}, free_holder, GConnectFlags(0));
  GST_DEBUG_OBJECT(element, "answering RTCP XR RRTR with DLRR");
  g_object_unref(session);
}

} // namespace

void
Dlrr::on_rrtr(guint32 ssrc, guint64 ntp, gint64 now_us) {
  std::lock_guard<std::mutex> g(lock_);
  pending_[ssrc] = Pending{static_cast<guint32>(ntp >> 16), now_us, {}};
}

std::vector<Dlrr::Block>
Dlrr::take(guint32 sender_ssrc, gint64 now_us) {
  std::vector<Block> out;
  std::lock_guard<std::mutex> g(lock_);
  for (auto it = pending_.begin(); it != pending_.end();) {
    Pending &p = it->second;
    gint64 delay = now_us - p.arrival_us;
    if (delay < 0 || delay > kMaxAgeUs) {
      it = pending_.erase(it);
      continue;
    }
    if (std::find(p.answered_by.begin(), p.answered_by.end(), sender_ssrc)
        == p.answered_by.end()) {
      p.answered_by.push_back(sender_ssrc);
      out.push_back(Block{it->first, p.lrr,
          static_cast<guint32>(delay * 65536 / G_USEC_PER_SEC)});
    }
    ++it;
  }
  return out;
}

std::vector<guint8>
dlrr_packet(guint32 sender_ssrc, const std::vector<Dlrr::Block> &blocks) {
  std::vector<guint8> out;
  /* Header: V=2, P=0, reserved; PT=XR; length in 32-bit words minus one:
   * header (1) + SSRC (1) + block header (1) + 3 per sub-block. */
  guint16 words = static_cast<guint16>(3 + 3 * blocks.size());
  out.push_back(0x80);
  out.push_back(GST_RTCP_TYPE_XR);
  out.push_back(static_cast<guint8>((words - 1) >> 8));
  out.push_back(static_cast<guint8>(words - 1));
  put32(out, sender_ssrc);
  /* DLRR block: BT=5, reserved, block length (32-bit words after it). */
  guint16 block_words = static_cast<guint16>(3 * blocks.size());
  out.push_back(GST_RTCP_XR_TYPE_DLRR);
  out.push_back(0);
  out.push_back(static_cast<guint8>(block_words >> 8));
  out.push_back(static_cast<guint8>(block_words));
  for (const Dlrr::Block &b : blocks) {
    put32(out, b.ssrc);
    put32(out, b.lrr);
    put32(out, b.dlrr);
  }
  return out;
}

guint
xr_rtt_add_rrtr(GstSDPMessage *sdp) {
  guint added = 0;
  for (guint m = 0; m < gst_sdp_message_medias_len(sdp); m++) {
    GstSDPMedia *media
        = const_cast<GstSDPMedia *>(gst_sdp_message_get_media(sdp, m));
    if (g_strcmp0(gst_sdp_media_get_media(media), "video") != 0)
      continue;
    /* One rrtr per payload that asks for retransmission and has none. */
    std::vector<std::string> with_nack, with_rrtr;
    for (guint i = 0; i < gst_sdp_media_attributes_len(media); i++) {
      const GstSDPAttribute *a = gst_sdp_media_get_attribute(media, i);
      if (g_strcmp0(a->key, "rtcp-fb") != 0 || !a->value)
        continue;
      const char *sp = strchr(a->value, ' ');
      if (!sp)
        continue;
      std::string pt(a->value, sp - a->value);
      if (g_strcmp0(sp + 1, "nack") == 0)
        with_nack.push_back(pt);
      else if (g_strcmp0(sp + 1, "rrtr") == 0)
        with_rrtr.push_back(pt);
    }
    for (const std::string &pt : with_nack) {
      if (std::find(with_rrtr.begin(), with_rrtr.end(), pt) != with_rrtr.end())
        continue;
      gst_sdp_media_add_attribute(media, "rtcp-fb", (pt + " rrtr").c_str());
      added++;
    }
  }
  return added;
}

void
xr_rtt_attach(GstElement *webrtcbin) {
  init_debug();
  watch_elements(webrtcbin, watch_element);
}

} // namespace gws
