/* gst-webrtc-session: TWCC plumbing (see gws-twcc.h). */
#include "gws-twcc.h"

#include "gws-element-watch.h"

#include <gst/rtp/rtp.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

GST_DEBUG_CATEGORY_STATIC(gws_twcc_debug);
#define GST_CAT_DEFAULT gws_twcc_debug

namespace gws {

namespace {

void
init_debug() {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(gws_twcc_debug, "gws-twcc", 0,
        "transport-wide congestion control feedback");
    g_once_init_leave(&once, 1);
  }
}

guint64
u64_field(const GstStructure *s, const char *name, guint64 fallback) {
  const GValue *v = gst_structure_get_value(s, name);
  if (!v)
    return fallback;
  if (G_VALUE_HOLDS_UINT64(v))
    return g_value_get_uint64(v);
  if (G_VALUE_HOLDS_INT64(v))
    return static_cast<guint64>(g_value_get_int64(v));
  if (G_VALUE_HOLDS_UINT(v))
    return g_value_get_uint(v);
  if (G_VALUE_HOLDS_INT(v))
    return static_cast<guint64>(g_value_get_int(v));
  if (G_VALUE_HOLDS_UCHAR(v))
    return g_value_get_uchar(v);
  return fallback;
}

void
add_packet(const GValue *v, std::vector<TwccPacket> &out) {
  if (!GST_VALUE_HOLDS_STRUCTURE(v))
    return;
  const GstStructure *s = gst_value_get_structure(v);
  TwccPacket p;
  p.seqnum = static_cast<guint16>(u64_field(s, "seqnum", 0));
  guint64 local = u64_field(s, "local-ts", GST_CLOCK_TIME_NONE);
  guint64 remote = u64_field(s, "remote-ts", GST_CLOCK_TIME_NONE);
  p.local_ns = GST_CLOCK_TIME_IS_VALID(local) ? static_cast<gint64>(local) : -1;
  p.remote_ns
      = GST_CLOCK_TIME_IS_VALID(remote) ? static_cast<gint64>(remote) : -1;
  p.size = static_cast<guint>(u64_field(s, "size", 0));
  gboolean lost = FALSE;
  gst_structure_get_boolean(s, "lost", &lost);
  p.lost = lost || p.remote_ns < 0;
  out.push_back(p);
}

/* How long after the jitter buffer's last retransmission request the
 * feedback stays per frame. */
constexpr gint64 kPerFrameHoldUs = 5 * G_USEC_PER_SEC;

/* One receiving RTP session's feedback rhythm (twcc_tune_receiver()). */
struct FeedbackRhythm {
  GObject *session; /* the rtpsession's internal RTPSession (a ref) */
  std::atomic<gint64> last_nack_us{0};
  std::atomic<bool> per_frame{false};
  ~FeedbackRhythm() { g_object_unref(session); }
};

void
set_interval(FeedbackRhythm *r, bool per_frame) {
  r->per_frame.store(per_frame);
  g_object_set(r->session, "twcc-feedback-interval",
      per_frame ? GST_CLOCK_TIME_NONE
                : static_cast<guint64>(kTwccFeedbackIntervalMs) * GST_MSECOND,
      nullptr);
  GST_DEBUG("RTP session %p: TWCC feedback %s", r->session,
      per_frame ? "after every frame (retransmissions asked for)"
                : "every interval");
}

/* On rtpsession's recv_rtp_src pad: a retransmission request from the
 * jitter buffer (upstream) switches to feedback after every frame, which
 * is what gets the NACK out in time (below); the first packet after
 * kPerFrameHoldUs without one switches back. */
GstPadProbeReturn
rhythm_probe(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *r = static_cast<FeedbackRhythm *>(data);
  if (info->type & GST_PAD_PROBE_TYPE_EVENT_UPSTREAM) {
    const GstStructure *st
        = gst_event_get_structure(GST_PAD_PROBE_INFO_EVENT(info));
    if (st && gst_structure_has_name(st, "GstRTPRetransmissionRequest")) {
      r->last_nack_us.store(g_get_monotonic_time());
      if (!r->per_frame.load())
        set_interval(r, true);
    }
    return GST_PAD_PROBE_OK;
  }
  if (r->per_frame.load()
      && g_get_monotonic_time() - r->last_nack_us.load() > kPerFrameHoldUs)
    set_interval(r, false);
  return GST_PAD_PROBE_OK;
}

void
watch_session(GstElement *element) {
  if (strcmp(element_factory_name(element), "rtpsession") != 0)
    return;
  GObject *session = nullptr;
  g_object_get(element, "internal-session", &session, nullptr);
  if (!session)
    return;
  if (!g_object_class_find_property(
          G_OBJECT_GET_CLASS(session), "twcc-feedback-interval")) {
    g_object_unref(session);
    return;
  }
  auto *r = new FeedbackRhythm{session};
  set_interval(r, false);
  /* recv_rtp_src appears when rtpbin asks for recv_rtp_sink. */
  g_signal_connect_data(
      element, "pad-added",
      G_CALLBACK(+[](GstElement *, GstPad *pad, gpointer data) {
        if (g_strcmp0(GST_PAD_NAME(pad), "recv_rtp_src") != 0)
          return;
        auto *rhythm = static_cast<FeedbackRhythm *>(data);
        gst_pad_add_probe(pad,
            static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_EVENT_UPSTREAM
                                         | GST_PAD_PROBE_TYPE_BUFFER
                                         | GST_PAD_PROBE_TYPE_BUFFER_LIST),
            rhythm_probe, rhythm, nullptr);
      }),
      r,
      [](gpointer data, GClosure *) {
        delete static_cast<FeedbackRhythm *>(data);
      },
      GConnectFlags(0));
}

} // namespace

void
twcc_tune_receiver(GstElement *webrtcbin) {
  init_debug();
  watch_elements(webrtcbin, watch_session); /* none before negotiation */
}

guint8
twcc_ext_id_in_media(const GstSDPMedia *media) {
  if (!media)
    return 0;
  guint n = gst_sdp_media_attributes_len(media);
  for (guint i = 0; i < n; i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute(media, i);
    if (g_strcmp0(a->key, "extmap") != 0 || !a->value)
      continue;
    /* "3 URI" or "3/sendrecv URI" */
    char *end = nullptr;
    long id = strtol(a->value, &end, 10);
    if (end == a->value || id < 1 || id > 14)
      continue;
    const char *uri = strchr(end, ' ');
    if (!uri)
      continue;
    while (*uri == ' ')
      uri++;
    if (strncmp(uri, kTwccUri, strlen(kTwccUri)) == 0)
      return static_cast<guint8>(id);
  }
  return 0;
}

guint8
twcc_ext_id_in_caps(const GstStructure *s) {
  gint n = s ? gst_structure_n_fields(s) : 0;
  for (gint i = 0; i < n; i++) {
    const gchar *name = gst_structure_nth_field_name(s, i);
    if (!g_str_has_prefix(name, "extmap-"))
      continue;
    const GValue *v = gst_structure_get_value(s, name);
    const gchar *uri = nullptr;
    if (G_VALUE_HOLDS_STRING(v)) {
      uri = g_value_get_string(v);
    } else if (GST_VALUE_HOLDS_ARRAY(v) && gst_value_array_get_size(v) >= 2) {
      const GValue *u = gst_value_array_get_value(v, 1);
      if (G_VALUE_HOLDS_STRING(u))
        uri = g_value_get_string(u);
    }
    gint64 id = g_ascii_strtoll(name + strlen("extmap-"), nullptr, 10);
    if (g_strcmp0(uri, kTwccUri) == 0 && id >= 1 && id <= 14)
      return static_cast<guint8>(id);
  }
  return 0;
}

namespace {

/* What one rtpredenc's probe knows: the negotiated TWCC id and the RED
 * payload type, from the caps it sends. */
struct RedMend {
  std::atomic<guint> ext_id{0};
  std::atomic<gint> red_pt{-1};
};

/* A RED packet as 1.22.0 makes it with TWCC: a one-byte-header block whose
 * only element is id 1, two bytes. Moves that element to @id. */
void
mend_red_packet(GstBuffer *buf, const RedMend &m) {
  guint id = m.ext_id.load();
  gint pt = m.red_pt.load();
  if (id == 0 || id == 1 || pt < 0)
    return;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  if (!gst_rtp_buffer_map(buf, GST_MAP_READWRITE, &rtp))
    return;
  guint16 bits = 0;
  gpointer data = nullptr;
  guint wordlen = 0;
  if (gst_rtp_buffer_get_payload_type(&rtp) == pt
      && gst_rtp_buffer_get_extension_data(&rtp, &bits, &data, &wordlen)
      && bits == 0xBEDE && wordlen == 1) {
    auto *p = static_cast<guint8 *>(data);
    if (p[0] == 0x11 && p[3] == 0) /* id 1, two bytes, then padding */
      p[0] = static_cast<guint8>((id << 4) | 1);
  }
  gst_rtp_buffer_unmap(&rtp);
}

GstPadProbeReturn
red_src_probe(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *m = static_cast<RedMend *>(data);
  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
    if (GST_EVENT_TYPE(ev) == GST_EVENT_CAPS) {
      GstCaps *caps = nullptr;
      gst_event_parse_caps(ev, &caps);
      const GstStructure *s = gst_caps_get_structure(caps, 0);
      gint pt = -1;
      m->ext_id = twcc_ext_id_in_caps(s);
      m->red_pt = gst_structure_get_int(s, "payload", &pt) ? pt : -1;
    }
    return GST_PAD_PROBE_OK;
  }
  if (m->ext_id.load() <= 1)
    return GST_PAD_PROBE_OK;
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
    GST_PAD_PROBE_INFO_DATA(info) = buf;
    mend_red_packet(buf, *m);
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list
        = gst_buffer_list_make_writable(GST_PAD_PROBE_INFO_BUFFER_LIST(info));
    GST_PAD_PROBE_INFO_DATA(info) = list;
    for (guint i = 0; i < gst_buffer_list_length(list); i++)
      mend_red_packet(gst_buffer_list_get_writable(list, i), *m);
  }
  return GST_PAD_PROBE_OK;
}

void
mend_red_encoder(GstElement *element) {
  if (strcmp(element_factory_name(element), "rtpredenc") != 0)
    return;
  GstPad *src = gst_element_get_static_pad(element, "src");
  if (!src)
    return;
  GST_DEBUG_OBJECT(element, "mending its TWCC extension id");
  gst_pad_add_probe(src,
      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER
                                   | GST_PAD_PROBE_TYPE_BUFFER_LIST
                                   | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
      red_src_probe, new RedMend,
      [](gpointer d) { delete static_cast<RedMend *>(d); });
  gst_object_unref(src);
}

} // namespace

void
twcc_mend_red(GstElement *webrtcbin) {
  init_debug();
  watch_elements(webrtcbin, mend_red_encoder);
}

void
twcc_offer(GstStructure *codec_pref) {
  std::string field = "extmap-" + std::to_string(kTwccExtId);
  gst_structure_set(
      codec_pref, field.c_str(), G_TYPE_STRING, kTwccUri, nullptr);
}

guint8
twcc_answer(const GstSDPMedia *media, GstStructure *codec_pref) {
  guint8 id = twcc_ext_id_in_media(media);
  if (id) {
    std::string field = "extmap-" + std::to_string(id);
    gst_structure_set(
        codec_pref, field.c_str(), G_TYPE_STRING, kTwccUri, nullptr);
  }
  return id;
}

bool
twcc_add_to_payloader(GstElement *payloader) {
  init_debug();
  GstRTPHeaderExtension *ext
      = gst_rtp_header_extension_create_from_uri(kTwccUri);
  if (!ext) {
    GST_WARNING_OBJECT(payloader,
        "no TWCC header extension (rtphdrexttwcc): peers cannot report "
        "arrival times, congestion control has only loss to go by");
    return false;
  }
  gst_rtp_header_extension_set_id(ext, kTwccExtId);
  g_signal_emit_by_name(payloader, "add-extension", ext);
  gst_object_unref(ext);
  GST_DEBUG_OBJECT(payloader, "TWCC header extension id %u", kTwccExtId);
  return true;
}

bool
twcc_is_feedback(GstEvent *event) {
  if (GST_EVENT_TYPE(event) != GST_EVENT_CUSTOM_UPSTREAM)
    return false;
  const GstStructure *s = gst_event_get_structure(event);
  return s && gst_structure_has_name(s, "RTPTWCCPackets");
}

void
twcc_drop_feedback(GstPad *pad) {
  gst_pad_add_probe(
      pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
      [](GstPad *, GstPadProbeInfo *info, gpointer) {
        return twcc_is_feedback(GST_PAD_PROBE_INFO_EVENT(info))
                   ? GST_PAD_PROBE_DROP
                   : GST_PAD_PROBE_OK;
      },
      nullptr, nullptr);
}

bool
twcc_parse_feedback(GstEvent *event, std::vector<TwccPacket> &out) {
  init_debug();
  if (GST_EVENT_TYPE(event) != GST_EVENT_CUSTOM_UPSTREAM)
    return false;
  const GstStructure *s = gst_event_get_structure(event);
  if (!s || !gst_structure_has_name(s, "RTPTWCCPackets"))
    return false;
  const GValue *packets = gst_structure_get_value(s, "packets");
  if (!packets)
    return true;
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  if (G_VALUE_HOLDS(packets, g_value_array_get_type())) {
    GValueArray *arr = static_cast<GValueArray *>(g_value_get_boxed(packets));
    for (guint i = 0; arr && i < arr->n_values; i++)
      add_packet(g_value_array_get_nth(arr, i), out);
  } else if (GST_VALUE_HOLDS_LIST(packets)) {
    for (guint i = 0; i < gst_value_list_get_size(packets); i++)
      add_packet(gst_value_list_get_value(packets, i), out);
  } else if (GST_VALUE_HOLDS_ARRAY(packets)) {
    for (guint i = 0; i < gst_value_array_get_size(packets); i++)
      add_packet(gst_value_array_get_value(packets, i), out);
  }
  G_GNUC_END_IGNORE_DEPRECATIONS
  GST_LOG("feedback for %zu packets", out.size());
  return true;
}

} // namespace gws
