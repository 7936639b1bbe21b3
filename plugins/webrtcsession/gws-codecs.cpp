/* gst-webrtc-session: the codec table (see gws-codecs.h). */
#include "gws-codecs.h"

#include "gws-encoder-settings.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace gws {

const char *
media_kind_name(MediaKind kind) {
  return kind == MediaKind::Video ? "video" : "audio";
}

const std::vector<CodecInfo> &
codec_table() {
  static const std::vector<CodecInfo> table = {
      {"VP8", MediaKind::Video, 90000, "video/x-vp8", {"vp8enc"}, "rtpvp8pay",
          "rtpvp8depay", nullptr},
      {"H264", MediaKind::Video, 90000, "video/x-h264",
          {"x264enc", "openh264enc"}, "rtph264pay", "rtph264depay",
          "h264parse"},
      {"VP9", MediaKind::Video, 90000, "video/x-vp9", {"vp9enc"}, "rtpvp9pay",
          "rtpvp9depay", nullptr},
      {"OPUS", MediaKind::Audio, 48000, "audio/x-opus", {"opusenc"},
          "rtpopuspay", "rtpopusdepay", nullptr},
  };
  return table;
}

const CodecInfo *
codec_by_name(const char *name) {
  if (!name)
    return nullptr;
  for (const auto &c : codec_table()) {
    if (g_ascii_strcasecmp(c.name, name) == 0)
      return &c;
  }
  return nullptr;
}

const CodecInfo *
codec_for_encoded_caps(const GstCaps *caps) {
  if (!caps || gst_caps_is_empty(caps) || gst_caps_is_any(caps))
    return nullptr;
  const GstStructure *s = gst_caps_get_structure(caps, 0);
  for (const auto &c : codec_table()) {
    if (gst_structure_has_name(s, c.encoded_caps))
      return &c;
  }
  return nullptr;
}

const CodecInfo *
codec_for_rtp_structure(const GstStructure *s) {
  if (!s || !gst_structure_has_name(s, "application/x-rtp"))
    return nullptr;
  return codec_by_name(gst_structure_get_string(s, "encoding-name"));
}

static bool
factory_exists(const char *name) {
  g_autoptr(GstElementFactory) f = gst_element_factory_find(name);
  return f != nullptr;
}

static guint
factory_rank(const char *name) {
  g_autoptr(GstElementFactory) f = gst_element_factory_find(name);
  return f ? gst_plugin_feature_get_rank(GST_PLUGIN_FEATURE(f)) : 0;
}

/* Whether @factory is an installed encoder whose output can be @codec. */
static bool
factory_encodes(GstElementFactory *factory, const CodecInfo &codec) {
  if (!gst_element_factory_list_is_type(
          factory, GST_ELEMENT_FACTORY_TYPE_ENCODER))
    return false;
  g_autoptr(GstCaps) caps = gst_caps_from_string(codec.encoded_caps);
  return gst_element_factory_can_src_any_caps(factory, caps);
}

static bool
known_encoder_of(const char *factory, const CodecInfo &codec) {
  for (const char *enc : codec.encoders) {
    if (std::strcmp(enc, factory) == 0)
      return true;
  }
  const EncoderSettings *row = encoder_settings_lookup(factory);
  return row && std::strcmp(row->codec, codec.name) == 0;
}

std::string
codec_encoder_factory(
    const CodecInfo &codec, const std::vector<std::string> &preferred) {
  if (!factory_exists(codec.payloader))
    return "";
  if (codec.parser && !factory_exists(codec.parser))
    return "";
  /* 1. The application's list, in its order. */
  for (const auto &name : preferred) {
    g_autoptr(GstElementFactory) f = gst_element_factory_find(name.c_str());
    if (f
        && (known_encoder_of(name.c_str(), codec) || factory_encodes(f, codec)))
      return name;
  }
  /* 2. Hardware encoders we know, in our order, whatever their rank (VA
   * registers at rank none). */
  gsize n = 0;
  const EncoderSettings *rows = encoder_settings_table(&n);
  for (gsize i = 0; i < n; i++) {
    if (rows[i].hardware && std::strcmp(rows[i].codec, codec.name) == 0
        && factory_exists(rows[i].factory))
      return rows[i].factory;
  }
  /* 3. The highest-ranked installed encoder of the codec: ours (the
   * table's) and any other at rank marginal or above; ties in our order. */
  std::string best;
  guint best_rank = 0;
  for (const char *enc : codec.encoders) {
    if (!factory_exists(enc))
      continue;
    guint rank = factory_rank(enc);
    if (best.empty() || rank > best_rank) {
      best = enc;
      best_rank = rank;
    }
  }
  GList *all = gst_element_factory_list_get_elements(
      GST_ELEMENT_FACTORY_TYPE_ENCODER, GST_RANK_MARGINAL);
  for (GList *l = all; l; l = l->next) {
    auto *f = GST_ELEMENT_FACTORY(l->data);
    guint rank = gst_plugin_feature_get_rank(GST_PLUGIN_FEATURE(f));
    if ((best.empty() || rank > best_rank) && factory_encodes(f, codec)) {
      best = gst_plugin_feature_get_name(GST_PLUGIN_FEATURE(f));
      best_rank = rank;
    }
  }
  gst_plugin_feature_list_free(all);
  return best;
}

bool
codec_can_receive(const CodecInfo &codec) {
  return factory_exists(codec.depayloader);
}

std::vector<const CodecInfo *>
default_encode_order(MediaKind kind) {
  std::vector<const CodecInfo *> out;
  for (const auto &c : codec_table()) {
    if (c.kind == kind && !codec_encoder_factory(c).empty())
      out.push_back(&c);
  }
  std::stable_sort(
      out.begin(), out.end(), [](const CodecInfo *a, const CodecInfo *b) {
        return factory_rank(codec_encoder_factory(*a).c_str())
               > factory_rank(codec_encoder_factory(*b).c_str());
      });
  return out;
}

std::vector<const CodecInfo *>
default_receive_order(MediaKind kind) {
  std::vector<const CodecInfo *> out;
  for (const auto &c : codec_table()) {
    if (c.kind == kind && codec_can_receive(c))
      out.push_back(&c);
  }
  return out;
}

std::vector<const CodecInfo *>
codecs_from_value(
    const GValue *array, MediaKind kind, std::vector<std::string> *rejected) {
  std::vector<const CodecInfo *> out;
  if (!array || !GST_VALUE_HOLDS_ARRAY(array))
    return out;
  guint n = gst_value_array_get_size(array);
  for (guint i = 0; i < n; i++) {
    const GValue *v = gst_value_array_get_value(array, i);
    if (!G_VALUE_HOLDS_STRING(v))
      continue;
    const char *name = g_value_get_string(v);
    const CodecInfo *c = codec_by_name(name);
    if (!c || c->kind != kind) {
      if (rejected)
        rejected->push_back(name ? name : "(null)");
      continue;
    }
    if (std::find(out.begin(), out.end(), c) == out.end())
      out.push_back(c);
  }
  return out;
}

GstStructure *
codec_rtp_structure(const CodecInfo &codec, int pt) {
  GstStructure *s = gst_structure_new("application/x-rtp", "media",
      G_TYPE_STRING, media_kind_name(codec.kind), "encoding-name",
      G_TYPE_STRING, codec.name, "clock-rate", G_TYPE_INT, codec.clock_rate,
      "payload", G_TYPE_INT, pt, nullptr);
  if (codec.kind == MediaKind::Video) {
    gst_structure_set(s, "rtcp-fb-nack-pli", G_TYPE_BOOLEAN, TRUE,
        "rtcp-fb-ccm-fir", G_TYPE_BOOLEAN, TRUE, nullptr);
  }
  if (std::strcmp(codec.name, "H264") == 0) {
    gst_structure_set(s, "packetization-mode", G_TYPE_STRING, "1",
        "profile-level-id", G_TYPE_STRING, "42e01f", "level-asymmetry-allowed",
        G_TYPE_STRING, "1", nullptr);
  } else if (std::strcmp(codec.name, "OPUS") == 0) {
    gst_structure_set(s, "encoding-params", G_TYPE_STRING, "2", "minptime",
        G_TYPE_STRING, "10", "useinbandfec", G_TYPE_STRING, "1", nullptr);
  }
  return s;
}

GstElement *
codec_make_encoder(const CodecInfo &codec,
    const std::vector<std::string> &preferred, std::string *factory_out) {
  std::string factory = codec_encoder_factory(codec, preferred);
  if (factory.empty())
    return nullptr;
  GstElement *enc = gst_element_factory_make(factory.c_str(), nullptr);
  if (!enc)
    return nullptr;
  if (factory_out)
    *factory_out = factory;
  if (const EncoderSettings *row = encoder_settings_lookup(factory.c_str()))
    encoder_apply_settings(
        enc, *row, kDefaultVideoBitrate, kDefaultKeyframeInterval);
  return enc;
}

GstCaps *
codec_encoder_output_caps(const CodecInfo &codec, const char *factory) {
  const EncoderSettings *row = encoder_settings_lookup(factory);
  if (row && row->output_caps)
    return gst_caps_from_string(row->output_caps);
  if (std::strcmp(codec.name, "H264") == 0) {
    return gst_caps_from_string("video/x-h264, profile=(string)"
                                "constrained-baseline, "
                                "stream-format=(string)byte-stream");
  }
  return nullptr;
}

GstElement *
codec_make_payloader(const CodecInfo &codec, int pt) {
  GstElement *pay = gst_element_factory_make(codec.payloader, nullptr);
  if (!pay)
    return nullptr;
  g_object_set(pay, "pt", pt, "mtu", 1200, nullptr);
  if (std::strcmp(codec.payloader, "rtph264pay") == 0) {
    g_object_set(pay, "config-interval", -1, nullptr);
    gst_util_set_object_arg(G_OBJECT(pay), "aggregate-mode", "zero-latency");
  } else if (std::strcmp(codec.payloader, "rtpvp8pay") == 0
             || std::strcmp(codec.payloader, "rtpvp9pay") == 0) {
    gst_util_set_object_arg(G_OBJECT(pay), "picture-id-mode", "15-bit");
  }
  return pay;
}

std::vector<int>
codec_payloads_in_media(const GstSDPMedia *media, const CodecInfo &codec) {
  std::vector<std::pair<int, int>> scored; /* -score, pt */
  guint n = gst_sdp_media_formats_len(media);
  for (guint i = 0; i < n; i++) {
    int pt = atoi(gst_sdp_media_get_format(media, i));
    GstCaps *caps = gst_sdp_media_get_caps_from_media(media, pt);
    if (!caps)
      continue;
    const GstStructure *s
        = gst_caps_is_empty(caps) ? nullptr : gst_caps_get_structure(caps, 0);
    const char *enc
        = s ? gst_structure_get_string(s, "encoding-name") : nullptr;
    int score = -1;
    if (enc && g_ascii_strcasecmp(enc, codec.name) == 0) {
      score = 0;
      if (std::strcmp(codec.name, "H264") == 0) {
        const char *pm = gst_structure_get_string(s, "packetization-mode");
        const char *plid = gst_structure_get_string(s, "profile-level-id");
        if (!pm || std::strcmp(pm, "1") != 0)
          score = -1;
        else if (plid && g_ascii_strcasecmp(plid, "42e01f") == 0)
          score = 2;
        else if (plid && g_ascii_strncasecmp(plid, "42", 2) == 0)
          score = 1;
      }
    }
    gst_caps_unref(caps);
    if (score >= 0)
      scored.emplace_back(-score, pt);
  }
  std::stable_sort(scored.begin(), scored.end(),
      [](const auto &a, const auto &b) { return a.first < b.first; });
  std::vector<int> out;
  for (const auto &p : scored)
    out.push_back(p.second);
  return out;
}

GstStructure *
codec_structure_from_media(const GstSDPMedia *media, int pt, MediaKind kind) {
  GstCaps *caps = gst_sdp_media_get_caps_from_media(media, pt);
  GstStructure *s = gst_structure_copy(gst_caps_get_structure(caps, 0));
  gst_caps_unref(caps);
  gst_structure_set_name(s, "application/x-rtp");
  gst_structure_set(s, "media", G_TYPE_STRING, media_kind_name(kind), nullptr);
  return s;
}

bool
media_accepts_sending(const GstSDPMedia *media) {
  for (const char *dir : {"inactive", "sendonly"}) {
    if (gst_sdp_media_get_attribute_val(media, dir))
      return false;
  }
  return gst_sdp_media_formats_len(media) > 0;
}

std::string
codec_names(const std::vector<const CodecInfo *> &codecs) {
  std::string out;
  for (const CodecInfo *c : codecs) {
    if (!out.empty())
      out += ", ";
    out += c->name;
  }
  return out.empty() ? std::string("none") : out;
}

} // namespace gws
