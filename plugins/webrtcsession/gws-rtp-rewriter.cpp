/* gst-webrtc-session: per-consumer RTP identity (see gws-rtp-rewriter.h). */
#include "gws-rtp-rewriter.h"

#include <gst/rtp/rtp.h>

#include <cstring>
#include <string>

namespace gws {

namespace {

/* What a continuous output last sent (its queue's streaming thread). */
struct Continuity {
  bool started = false;
  guint32 in_ssrc = 0;
  guint16 seq_delta = 0;
  guint32 ts_delta = 0;
  guint16 last_seq = 0;
  guint32 last_ts = 0;
  GstClockTime last_pts = GST_CLOCK_TIME_NONE;
  guint clock_rate = 90000;
  /* Closing gaps (RtpRewrite::starts_keyframe): the last incoming
   * sequence number seen (forwarded or not), and whether the output
   * waits for a key frame. */
  guint16 last_in_seq = 0;
  bool dropping = false;
};

struct ProbeData {
  RtpRewrite rw;
  Continuity cont;
};

void
continue_stream(GstRTPBuffer *rtp, GstBuffer *buf, Continuity &c) {
  guint32 ssrc = gst_rtp_buffer_get_ssrc(rtp);
  guint16 seq = gst_rtp_buffer_get_seq(rtp);
  guint32 ts = gst_rtp_buffer_get_timestamp(rtp);
  GstClockTime pts = GST_BUFFER_PTS(buf);
  if (!c.started) {
    c.started = true;
    c.in_ssrc = ssrc;
  } else if (ssrc != c.in_ssrc) {
    /* Another rendition from here on: pick up where the last one left. */
    c.in_ssrc = ssrc;
    c.seq_delta = static_cast<guint16>(c.last_seq + 1 - seq);
    guint32 next_ts = c.last_ts;
    if (GST_CLOCK_TIME_IS_VALID(pts) && GST_CLOCK_TIME_IS_VALID(c.last_pts)
        && pts > c.last_pts)
      next_ts += static_cast<guint32>(gst_util_uint64_scale_int(
          pts - c.last_pts, c.clock_rate, GST_SECOND));
    else
      next_ts += 1;
    c.ts_delta = next_ts - ts;
  }
  c.last_seq = static_cast<guint16>(seq + c.seq_delta);
  c.last_ts = ts + c.ts_delta;
  if (GST_CLOCK_TIME_IS_VALID(pts))
    c.last_pts = pts;
  gst_rtp_buffer_set_seq(rtp, c.last_seq);
  gst_rtp_buffer_set_timestamp(rtp, c.last_ts);
}

/* Renumbers (or blanks) the one-byte header extension element with id
 * rw.twcc_from_id in place. */
void
rewrite_twcc(GstRTPBuffer *rtp, const RtpRewrite &rw) {
  guint16 bits = 0;
  gpointer data = nullptr;
  guint wordlen = 0;
  if (!gst_rtp_buffer_get_extension_data(rtp, &bits, &data, &wordlen)
      || bits != 0xBEDE)
    return;
  guint8 *p = static_cast<guint8 *>(data);
  guint len = wordlen * 4;
  guint i = 0;
  while (i < len) {
    if (p[i] == 0) { /* padding */
      i++;
      continue;
    }
    guint8 id = p[i] >> 4;
    guint n = (p[i] & 0x0f) + 1;
    if (id == 15 || i + 1 + n > len)
      return;
    if (id == rw.twcc_from_id && n == 2) {
      if (!rw.twcc_to_id || !rw.twcc_seq) {
        memset(p + i, 0, 1 + n);
      } else {
        guint16 seq = rw.twcc_seq->fetch_add(1);
        p[i] = static_cast<guint8>((rw.twcc_to_id << 4) | (n - 1));
        /* Byte by byte: the element need not be 2-byte aligned (1.22's
         * GST_WRITE_UINT16_BE stores a guint16: undefined there). */
        p[i + 1] = static_cast<guint8>(seq >> 8);
        p[i + 2] = static_cast<guint8>(seq & 0xff);
      }
      return;
    }
    i += 1 + n;
  }
}

/* Whether @buf goes on (see RtpRewrite::starts_keyframe): false while
 * the output waits for a key frame after packets were lost before it.
 * Every packet not forwarded, lost before or dropped here, takes one off
 * the sequence delta, so the consumer's numbers have no gap. */
bool
close_gaps(GstBuffer *buf, const RtpRewrite &rw, Continuity &c) {
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  if (!gst_rtp_buffer_map(buf, GST_MAP_READ, &rtp))
    return true;
  guint32 ssrc = gst_rtp_buffer_get_ssrc(&rtp);
  guint16 seq = gst_rtp_buffer_get_seq(&rtp);
  gst_rtp_buffer_unmap(&rtp);
  if (!c.started || ssrc != c.in_ssrc) {
    /* The first packet, or another rendition (which starts with a key
     * frame): continue_stream() joins it on. */
    c.last_in_seq = seq;
    c.dropping = false;
    return true;
  }
  guint16 step = static_cast<guint16>(seq - c.last_in_seq);
  c.last_in_seq = seq;
  if (step == 0 || step >= 0x8000)
    return true; /* not after the last one: leave it to the receiver */
  bool key = false;
  if (step > 1) {
    c.seq_delta = static_cast<guint16>(c.seq_delta - (step - 1));
    if (rw.gap_packets)
      rw.gap_packets->fetch_add(step - 1);
    key = rw.starts_keyframe(buf);
    if (!key && !c.dropping) {
      c.dropping = true;
      if (rw.on_gap)
        rw.on_gap();
    }
  }
  if (c.dropping && (key || rw.starts_keyframe(buf)))
    c.dropping = false;
  if (!c.dropping)
    return true;
  c.seq_delta = static_cast<guint16>(c.seq_delta - 1);
  if (rw.gap_packets)
    rw.gap_packets->fetch_add(1);
  return false;
}

/* Rewrites @buf for the consumer; false: drop it (close_gaps()). */
bool
rewrite_buffer(GstBuffer *buf, const RtpRewrite &rw, Continuity &cont) {
  if (rw.continuous && rw.starts_keyframe && !close_gaps(buf, rw, cont))
    return false;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  if (!gst_rtp_buffer_map(buf, GST_MAP_READWRITE, &rtp))
    return true;
  if (rw.continuous)
    continue_stream(&rtp, buf, cont);
  if (rw.twcc_from_id)
    rewrite_twcc(&rtp, rw);
  if (rw.ssrc)
    gst_rtp_buffer_set_ssrc(&rtp, rw.ssrc);
  if (rw.to_pt >= 0 && gst_rtp_buffer_get_payload_type(&rtp) == rw.from_pt)
    gst_rtp_buffer_set_payload_type(&rtp, rw.to_pt);
  gst_rtp_buffer_unmap(&rtp);
  return true;
}

/* A writable packet of our own with @buf's bytes and metadata; takes
 * @buf. The shared tee hands the same buffer (and memory) to every
 * output, so writing the header needs a copy. gst_buffer_make_writable()
 * would share the memory first (registering each consumer's copy as one
 * more parent of it: a lock and a list that every output of the tee
 * contends for and walks, per packet) and the write map would then copy
 * the memory anyway: one allocation and one copy here instead. */
GstBuffer *
own_packet(GstBuffer *buf) {
  if (gst_buffer_is_writable(buf)) {
    bool all = true;
    for (guint i = 0; all && i < gst_buffer_n_memory(buf); i++)
      all = gst_memory_is_writable(gst_buffer_peek_memory(buf, i));
    if (all)
      return buf; /* ours alone already (one consumer, nothing shared) */
  }
  GstMapInfo in;
  if (!gst_buffer_map(buf, &in, GST_MAP_READ))
    return gst_buffer_make_writable(buf);
  GstBuffer *out = gst_buffer_new_allocate(nullptr, in.size, nullptr);
  if (out)
    gst_buffer_fill(out, 0, in.data, in.size);
  gst_buffer_unmap(buf, &in);
  if (!out)
    return gst_buffer_make_writable(buf);
  gst_buffer_copy_into(out, buf, GST_BUFFER_COPY_METADATA, 0, -1);
  gst_buffer_unref(buf);
  return out;
}

GstPadProbeReturn
rewrite_probe(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *pd = static_cast<ProbeData *>(data);
  const RtpRewrite &rw = pd->rw;
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = own_packet(GST_PAD_PROBE_INFO_BUFFER(info));
    info->data = buf;
    if (!rewrite_buffer(buf, rw, pd->cont))
      return GST_PAD_PROBE_DROP; /* the pad unrefs info->data */
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    /* A new list of our own packets (the tee's list is shared too). */
    GstBufferList *in = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
    guint n = gst_buffer_list_length(in);
    GstBufferList *list = gst_buffer_list_new_sized(n);
    for (guint i = 0; i < n; i++) {
      GstBuffer *buf = own_packet(gst_buffer_ref(gst_buffer_list_get(in, i)));
      if (rewrite_buffer(buf, rw, pd->cont)) {
        gst_buffer_list_add(list, buf);
      } else {
        gst_buffer_unref(buf);
      }
    }
    gst_buffer_list_unref(in);
    info->data = list;
    if (gst_buffer_list_length(list) == 0)
      return GST_PAD_PROBE_DROP;
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
      if (rw.continuous) {
        GstStructure *cs = gst_caps_get_structure(copy, 0);
        gint rate = 0;
        if (gst_structure_get_int(cs, "clock-rate", &rate) && rate > 0)
          pd->cont.clock_rate = static_cast<guint>(rate);
        gst_structure_remove_fields(
            cs, "seqnum-offset", "timestamp-offset", "seqnum-base", nullptr);
      }
      if (rw.twcc_from_id && rw.twcc_from_id != rw.twcc_to_id) {
        /* The caps name the extension for the consumer's rtpsession. */
        std::string from = "extmap-" + std::to_string(rw.twcc_from_id);
        GstStructure *s = gst_caps_get_structure(copy, 0);
        const gchar *uri = gst_structure_get_string(s, from.c_str());
        std::string uri_copy = uri ? uri : "";
        gst_structure_remove_field(s, from.c_str());
        if (rw.twcc_to_id && !uri_copy.empty()) {
          std::string to = "extmap-" + std::to_string(rw.twcc_to_id);
          gst_structure_set(
              s, to.c_str(), G_TYPE_STRING, uri_copy.c_str(), nullptr);
        }
      }
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
  if (!rw.ssrc && (rw.to_pt < 0 || rw.to_pt == rw.from_pt) && !rw.twcc_from_id)
    return;
  gst_pad_add_probe(pad,
      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER
                                   | GST_PAD_PROBE_TYPE_BUFFER_LIST
                                   | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
      rewrite_probe, new ProbeData{rw, Continuity()},
      [](gpointer d) { delete static_cast<ProbeData *>(d); });
}

} // namespace gws
