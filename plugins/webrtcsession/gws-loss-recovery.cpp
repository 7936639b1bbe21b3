/* gst-webrtc-session: loss recovery (see gws-loss-recovery.h). */
#include "gws-loss-recovery.h"

#include "gws-adaptive-latency.h"
#include "gws-element-watch.h"

#include <cstdlib>
#include <cstring>
#include <set>
#include <string>

GST_DEBUG_CATEGORY_STATIC(gws_loss_debug);
#define GST_CAT_DEFAULT gws_loss_debug

namespace gws {

namespace {

void
init_debug() {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(
        gws_loss_debug, "gws-loss", 0, "webrtcsink/webrtcsrc loss recovery");
    g_once_init_leave(&once, 1);
  }
}

/* "96 VP8/90000" -> encoding name "VP8" of payload 96, or "" . */
std::string
rtpmap_encoding(const GstSDPMedia *media, int pt) {
  guint n = gst_sdp_media_attributes_len(media);
  for (guint i = 0; i < n; i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute(media, i);
    if (g_strcmp0(a->key, "rtpmap") != 0 || !a->value)
      continue;
    char *end = nullptr;
    long p = strtol(a->value, &end, 10);
    if (end == a->value || p != pt)
      continue;
    while (*end == ' ')
      end++;
    const char *slash = strchr(end, '/');
    return slash ? std::string(end, slash - end) : std::string(end);
  }
  return std::string();
}

/* Payloads that an rtx payload of @media already repairs (its apt=). */
std::set<int>
repaired_payloads(const GstSDPMedia *media) {
  std::set<int> out;
  guint n = gst_sdp_media_attributes_len(media);
  for (guint i = 0; i < n; i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute(media, i);
    if (g_strcmp0(a->key, "fmtp") != 0 || !a->value)
      continue;
    char *end = nullptr;
    long pt = strtol(a->value, &end, 10);
    if (end == a->value)
      continue;
    if (g_ascii_strcasecmp(rtpmap_encoding(media, pt).c_str(), "rtx") != 0)
      continue;
    const char *apt = strstr(end, "apt=");
    if (apt)
      out.insert(atoi(apt + 4));
  }
  return out;
}

bool
has_feedback(const GstSDPMedia *media, int pt, const char *fb) {
  std::string want = std::to_string(pt) + " " + fb;
  guint n = gst_sdp_media_attributes_len(media);
  for (guint i = 0; i < n; i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute(media, i);
    if (g_strcmp0(a->key, "rtcp-fb") == 0 && a->value && want == a->value)
      return true;
  }
  return false;
}

int
take_free_pt(std::set<int> &used) {
  for (int range : {0, 1}) {
    int lo = range == 0 ? 96 : 35, hi = range == 0 ? 127 : 63;
    for (int pt = lo; pt <= hi; pt++) {
      if (used.insert(pt).second)
        return pt;
    }
  }
  return -1;
}

guint64
uint_field(const GstStructure *s, const char *name) {
  const GValue *v = gst_structure_get_value(s, name);
  if (!v)
    return 0;
  if (G_VALUE_HOLDS_UINT64(v))
    return g_value_get_uint64(v);
  if (G_VALUE_HOLDS_UINT(v))
    return g_value_get_uint(v);
  if (G_VALUE_HOLDS_INT(v))
    return MAX(0, g_value_get_int(v));
  return 0;
}

guint64
uint_prop(GstElement *e, const char *name) {
  GParamSpec *spec = g_object_class_find_property(G_OBJECT_GET_CLASS(e), name);
  if (!spec)
    return 0;
  if (spec->value_type == G_TYPE_UINT) {
    guint v = 0;
    g_object_get(e, name, &v, nullptr);
    return v;
  }
  if (spec->value_type == G_TYPE_UINT64) {
    guint64 v = 0;
    g_object_get(e, name, &v, nullptr);
    return v;
  }
  return 0;
}

void
add_session_stats(GstElement *session, LossCounters &c) {
  GstStructure *stats = nullptr;
  g_object_get(session, "stats", &stats, nullptr);
  if (!stats)
    return;
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  const GValue *arr = gst_structure_get_value(stats, "source-stats");
  if (arr && G_VALUE_HOLDS(arr, g_value_array_get_type())) {
    GValueArray *sources = static_cast<GValueArray *>(g_value_get_boxed(arr));
    for (guint i = 0; sources && i < sources->n_values; i++) {
      const GValue *v = g_value_array_get_nth(sources, i);
      const GstStructure *s = gst_value_get_structure(v);
      gboolean internal = FALSE;
      gst_structure_get_boolean(s, "internal", &internal);
      if (internal) {
        c.packets_sent += uint_field(s, "packets-sent");
        c.nacks_received += uint_field(s, "recv-nack-count");
        c.plis_received += uint_field(s, "recv-pli-count");
        c.firs_received += uint_field(s, "recv-fir-count");
      } else {
        c.nacks_sent += uint_field(s, "sent-nack-count");
        c.plis_sent += uint_field(s, "sent-pli-count");
        c.firs_sent += uint_field(s, "sent-fir-count");
        gint rb_lost = 0;
        gboolean have_rb = FALSE;
        if (gst_structure_get_boolean(s, "have-rb", &have_rb) && have_rb
            && gst_structure_get_int(s, "rb-packetslost", &rb_lost))
          c.remote_packets_lost += rb_lost;
      }
    }
  }
  G_GNUC_END_IGNORE_DEPRECATIONS
  gst_structure_free(stats);
}

void
add_jitterbuffer_stats(GstElement *jb, LossCounters &c) {
  GstStructure *stats = nullptr;
  g_object_get(jb, "stats", &stats, nullptr);
  if (!stats)
    return;
  c.packets_received += uint_field(stats, "num-pushed");
  c.packets_lost += uint_field(stats, "num-lost");
  c.packets_late += uint_field(stats, "num-late");
  c.rtx_requests += uint_field(stats, "rtx-count");
  c.rtx_recovered += uint_field(stats, "rtx-success-count");
  gst_structure_free(stats);
  guint latency = 0;
  g_object_get(jb, "latency", &latency, nullptr);
  c.latency_ms = MAX(c.latency_ms, latency);
}

} // namespace

void
loss_recovery_install_properties(
    GObjectClass *klass, guint retransmission_id, guint fec_id) {
  const auto rw = static_cast<GParamFlags>(
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  g_object_class_install_property(klass, retransmission_id,
      g_param_spec_boolean("do-retransmission", "Retransmission",
          "Recover lost video packets by retransmission: negotiate NACK "
          "feedback and RTX (RFC 4588) for every video codec; a sender keeps "
          "a 500-packet history per peer, a receiver asks for what is "
          "missing while its latency allows. Applies to new sessions",
          TRUE, rw));
  g_object_class_install_property(klass, fec_id,
      g_param_spec_boolean("do-fec", "Forward error correction",
          "Also negotiate RED + ULPFEC for video (about 20% more bandwidth "
          "when sending) so a lost packet can be rebuilt without a round "
          "trip. Off by default: on the links measured (docs/elements.md, "
          "Loss recovery) retransmission alone recovers losses within the "
          "latency. "
          "Applies to new sessions",
          FALSE, rw));
}

void
loss_recovery_tune_receiver(GstElement *webrtcbin) {
  init_debug();
  g_autoptr(GstElement) rtpbin
      = gst_bin_get_by_name(GST_BIN(webrtcbin), "rtpbin");
  if (!rtpbin) {
    GST_WARNING_OBJECT(webrtcbin, "no rtpbin inside: jitter buffers untuned");
    return;
  }
  /* Runs on webrtcbin's streaming thread, after webrtcbin's own handler
   * (connected first) has set do-retransmission from the transceiver. */
  g_signal_connect(rtpbin, "new-jitterbuffer",
      G_CALLBACK(
          +[](GstElement *, GstElement *jb, guint, guint ssrc, gpointer) {
            g_object_set(jb, "rtx-next-seqnum", FALSE, nullptr);
            adaptive_latency_attach(jb);
            GST_DEBUG_OBJECT(
                jb, "ssrc %u: retransmission asked for gaps only", ssrc);
          }),
      nullptr);
}

void
loss_recovery_tune_decoder(GstElement *element) {
  if (strcmp(element_factory_name(element), "opusdec") != 0)
    return;
  g_object_set(element, "use-inband-fec", TRUE, "plc", TRUE, nullptr);
}

void
loss_recovery_configure(GstWebRTCRTPTransceiver *trans, MediaKind kind,
    const LossRecovery &config) {
  init_debug();
  if (!trans)
    return;
  bool video = kind == MediaKind::Video;
  g_object_set(trans, "do-nack", video && config.retransmission, nullptr);
  if (video && config.fec) {
    gst_util_set_object_arg(G_OBJECT(trans), "fec-type", "ulp-red");
    g_object_set(trans, "fec-percentage", config.fec_percentage, nullptr);
  } else {
    gst_util_set_object_arg(G_OBJECT(trans), "fec-type", "none");
  }
}

guint
complete_rtx_in_offer(GstSDPMessage *sdp) {
  init_debug();
  std::set<int> used;
  guint n_media = gst_sdp_message_medias_len(sdp);
  for (guint m = 0; m < n_media; m++) {
    const GstSDPMedia *media = gst_sdp_message_get_media(sdp, m);
    for (guint f = 0; f < gst_sdp_media_formats_len(media); f++)
      used.insert(atoi(gst_sdp_media_get_format(media, f)));
  }
  guint added = 0;
  for (guint m = 0; m < n_media; m++) {
    GstSDPMedia *media
        = const_cast<GstSDPMedia *>(gst_sdp_message_get_media(sdp, m));
    bool rejected = gst_sdp_media_get_port(media) == 0
                    && !gst_sdp_media_get_attribute_val(media, "bundle-only");
    if (g_strcmp0(gst_sdp_media_get_media(media), "video") != 0 || rejected)
      continue;
    std::set<int> repaired = repaired_payloads(media);
    if (repaired.empty())
      continue; /* retransmission is off for this m-line */
    std::vector<int> codecs;
    for (guint f = 0; f < gst_sdp_media_formats_len(media); f++) {
      int pt = atoi(gst_sdp_media_get_format(media, f));
      std::string enc = rtpmap_encoding(media, pt);
      if (g_ascii_strcasecmp(enc.c_str(), "rtx") == 0
          || g_ascii_strcasecmp(enc.c_str(), "ulpfec") == 0
          || g_ascii_strcasecmp(enc.c_str(), "flexfec-03") == 0)
        continue;
      if (!repaired.count(pt))
        codecs.push_back(pt);
    }
    for (int pt : codecs) {
      int rtx = take_free_pt(used);
      if (rtx < 0) {
        GST_WARNING("no free payload type left for rtx of payload %d", pt);
        break;
      }
      std::string rtx_s = std::to_string(rtx);
      gst_sdp_media_add_format(media, rtx_s.c_str());
      gst_sdp_media_add_attribute(
          media, "rtpmap", (rtx_s + " rtx/90000").c_str());
      gst_sdp_media_add_attribute(
          media, "fmtp", (rtx_s + " apt=" + std::to_string(pt)).c_str());
      if (!has_feedback(media, pt, "nack"))
        gst_sdp_media_add_attribute(
            media, "rtcp-fb", (std::to_string(pt) + " nack").c_str());
      GST_DEBUG("m-line %u: rtx payload %d for payload %d", m, rtx, pt);
      added++;
    }
  }
  return added;
}

LossCounters
collect_loss_counters(GstElement *webrtcbin) {
  LossCounters c;
  if (!webrtcbin || !GST_IS_BIN(webrtcbin))
    return c;
  GstIterator *it = gst_bin_iterate_recurse(GST_BIN(webrtcbin));
  GValue item = G_VALUE_INIT;
  bool done = false;
  while (!done) {
    switch (gst_iterator_next(it, &item)) {
      case GST_ITERATOR_OK: {
        GstElement *e = GST_ELEMENT(g_value_get_object(&item));
        const char *name = element_factory_name(e);
        if (strcmp(name, "rtpsession") == 0) {
          add_session_stats(e, c);
        } else if (strcmp(name, "rtpjitterbuffer") == 0) {
          add_jitterbuffer_stats(e, c);
        } else if (strcmp(name, "rtprtxsend") == 0) {
          c.rtx_requests_received += uint_prop(e, "num-rtx-requests");
          c.rtx_packets_sent += uint_prop(e, "num-rtx-packets");
        } else if (strcmp(name, "rtprtxreceive") == 0) {
          c.rtx_received += uint_prop(e, "num-rtx-packets");
        } else if (strcmp(name, "rtpulpfecdec") == 0) {
          c.fec_recovered += uint_prop(e, "recovered");
          c.fec_unrecovered += uint_prop(e, "unrecovered");
        } else if (strcmp(name, "rtpulpfecenc") == 0) {
          c.fec_packets_sent += uint_prop(e, "protected");
        }
        g_value_reset(&item);
        break;
      }
      case GST_ITERATOR_RESYNC:
        c = LossCounters();
        gst_iterator_resync(it);
        break;
      default:
        done = true;
        break;
    }
  }
  g_value_unset(&item);
  gst_iterator_free(it);
  return c;
}

void
loss_counters_to_structure(
    const LossCounters &c, bool receiving, GstStructure *s) {
  if (receiving) {
    gst_structure_set(s, "rtp-packets-received", G_TYPE_UINT64,
        c.packets_received, "packets-lost", G_TYPE_UINT64, c.packets_lost,
        "packets-late", G_TYPE_UINT64, c.packets_late, "nacks-sent",
        G_TYPE_UINT64, c.nacks_sent, "retransmissions-requested", G_TYPE_UINT64,
        c.rtx_requests, "retransmissions-received", G_TYPE_UINT64,
        c.rtx_received, "recovered-by-retransmission", G_TYPE_UINT64,
        c.rtx_recovered, "recovered-by-fec", G_TYPE_UINT64, c.fec_recovered,
        "fec-unrecovered", G_TYPE_UINT64, c.fec_unrecovered, "plis-sent",
        G_TYPE_UINT64, c.plis_sent, "firs-sent", G_TYPE_UINT64, c.firs_sent,
        "jitter-buffer-latency-ms", G_TYPE_UINT, c.latency_ms, nullptr);
  } else {
    gst_structure_set(s, "packets-sent", G_TYPE_UINT64, c.packets_sent,
        "remote-packets-lost", G_TYPE_INT64, c.remote_packets_lost,
        "nacks-received", G_TYPE_UINT64, c.nacks_received,
        "retransmissions-requested", G_TYPE_UINT64, c.rtx_requests_received,
        "packets-retransmitted", G_TYPE_UINT64, c.rtx_packets_sent,
        "fec-protected-packets", G_TYPE_UINT64, c.fec_packets_sent,
        "plis-received", G_TYPE_UINT64, c.plis_received, "firs-received",
        G_TYPE_UINT64, c.firs_received, nullptr);
  }
}

} // namespace gws
