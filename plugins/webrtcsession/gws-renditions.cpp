/* gst-webrtc-session: renditions (see gws-renditions.h). */
#include "gws-renditions.h"

#include <gst/rtp/rtp.h>

#include <algorithm>
#include <numeric>

namespace gws {

namespace {

/* An estimate under this share of the rendition above starts a new one. */
constexpr double kStepDown = 0.7;

bool
vp8_keyframe_start(const guint8 *p, guint len) {
  if (len < 1)
    return false;
  guint i = 0;
  bool x = p[0] & 0x80, s = p[0] & 0x10;
  guint pid = p[0] & 0x07;
  i++;
  if (x) {
    if (i >= len)
      return false;
    guint8 ext = p[i++];
    if (ext & 0x80) { /* I: picture id */
      if (i >= len)
        return false;
      i += (p[i] & 0x80) ? 2 : 1;
    }
    if (ext & 0x40) /* L: tl0picidx */
      i++;
    if (ext & 0x30) /* T or K */
      i++;
  }
  if (!s || pid != 0 || i >= len)
    return false;
  return (p[i] & 0x01) == 0; /* P: 0 = key frame */
}

bool
vp9_keyframe_start(const guint8 *p, guint len) {
  if (len < 1)
    return false;
  bool inter = p[0] & 0x40, begin = p[0] & 0x08;
  return begin && !inter;
}

bool
h264_keyframe_start(const guint8 *p, guint len) {
  if (len < 1)
    return false;
  guint type = p[0] & 0x1f;
  if (type == 5 || type == 7)
    return true;
  if (type == 24 && len >= 4) { /* STAP-A: the first aggregated NAL */
    guint t = p[3] & 0x1f;
    return t == 5 || t == 7;
  }
  if (type == 28 && len >= 2) /* FU-A: start bit and type */
    return (p[1] & 0x80) && (p[1] & 0x1f) == 5;
  return false;
}

} // namespace

bool
rtp_starts_keyframe(GstBuffer *buf, const CodecInfo &codec) {
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  if (!gst_rtp_buffer_map(buf, GST_MAP_READ, &rtp))
    return false;
  const guint8 *p
      = static_cast<const guint8 *>(gst_rtp_buffer_get_payload(&rtp));
  guint len = gst_rtp_buffer_get_payload_len(&rtp);
  bool key = false;
  if (g_ascii_strcasecmp(codec.name, "VP8") == 0)
    key = vp8_keyframe_start(p, len);
  else if (g_ascii_strcasecmp(codec.name, "VP9") == 0)
    key = vp9_keyframe_start(p, len);
  else if (g_ascii_strcasecmp(codec.name, "H264") == 0)
    key = h264_keyframe_start(p, len);
  gst_rtp_buffer_unmap(&rtp);
  return key;
}

void
OutputGate::switch_to(int rendition) {
  if (rendition == active_.load()) {
    pending_.store(-1);
    return;
  }
  pending_.store(rendition);
}

GstPadProbeReturn
OutputGate::filter(int rendition, GstPadProbeInfo *info) {
  if (!(info->type
          & (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST)))
    return GST_PAD_PROBE_OK;
  if (rendition == pending_.load()) {
    GstBuffer *first = nullptr;
    if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
      first = GST_PAD_PROBE_INFO_BUFFER(info);
    } else {
      GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
      if (gst_buffer_list_length(list) > 0)
        first = gst_buffer_list_get(list, 0);
    }
    if (first && rtp_starts_keyframe(first, codec_)) {
      int expected = rendition;
      if (pending_.compare_exchange_strong(expected, -1)) {
        active_.store(rendition);
        switches_++;
      }
      return GST_PAD_PROBE_OK;
    }
    return GST_PAD_PROBE_DROP;
  }
  return rendition == active_.load() ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
}

gulong
install_gate(GstPad *pad, std::shared_ptr<OutputGate> gate, int rendition) {
  struct Data {
    std::shared_ptr<OutputGate> gate;
    int rendition;
  };
  return gst_pad_add_probe(
      pad,
      static_cast<GstPadProbeType>(
          GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
      [](GstPad *, GstPadProbeInfo *info, gpointer data) {
        auto *d = static_cast<Data *>(data);
        return d->gate->filter(d->rendition, info);
      },
      new Data{std::move(gate), rendition},
      [](gpointer data) { delete static_cast<Data *>(data); });
}

std::vector<int>
plan_renditions(const std::vector<int64_t> &estimates, guint max,
    std::vector<int64_t> *rates) {
  std::vector<int> out(estimates.size(), 0);
  rates->clear();
  if (estimates.empty())
    return out;
  std::vector<size_t> order(estimates.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
      [&](size_t a, size_t b) { return estimates[a] > estimates[b]; });
  max = std::max(max, 1u);
  int64_t group_low = estimates[order[0]];
  rates->push_back(group_low);
  for (size_t k = 0; k < order.size(); k++) {
    int64_t e = estimates[order[k]];
    if (e < kStepDown * group_low && rates->size() < max) {
      rates->push_back(e);
      group_low = e;
    } else if (e < group_low) {
      group_low = e;
      rates->back() = e;
    }
    out[order[k]] = static_cast<int>(rates->size()) - 1;
  }
  return out;
}

} // namespace gws
