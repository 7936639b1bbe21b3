/* gst-webrtc-session: BUNDLE offer normalisation (see gws-sdp-bundle.h). */
#include "gws-sdp-bundle.h"

#include <cstring>
#include <vector>

GST_DEBUG_CATEGORY_STATIC(gws_sdp_debug);
#define GST_CAT_DEFAULT gws_sdp_debug

namespace gws {

namespace {

void
ensure_debug() {
  static gsize done = 0;
  if (g_once_init_enter(&done)) {
    GST_DEBUG_CATEGORY_INIT(gws_sdp_debug, "webrtcsession-sdp", 0,
        "remote offers normalised for webrtcbin");
    g_once_init_leave(&done, 1);
  }
}

/* Index of @media's first attribute @key, or -1. */
int
attribute_index(const GstSDPMedia *media, const char *key) {
  for (guint i = 0; i < gst_sdp_media_attributes_len(media); i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute(media, i);
    if (a->key && strcmp(a->key, key) == 0)
      return static_cast<int>(i);
  }
  return -1;
}

std::string
attribute(const GstSDPMessage *sdp, const GstSDPMedia *media, const char *key) {
  const char *v = gst_sdp_media_get_attribute_val(media, key);
  if (!v)
    v = gst_sdp_message_get_attribute_val(sdp, key); /* session level */
  return v ? v : "";
}

/* Sets @media's attribute @key to @value (replacing the first, removing
 * any further ones, or adding it). */
void
set_attribute(GstSDPMedia *media, const char *key, const std::string &value) {
  int first = attribute_index(media, key);
  if (first < 0) {
    gst_sdp_media_add_attribute(media, key, value.c_str());
    return;
  }
  for (int i = static_cast<int>(gst_sdp_media_attributes_len(media)) - 1;
       i > first; i--) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute(media, i);
    if (a->key && strcmp(a->key, key) == 0)
      gst_sdp_media_remove_attribute(media, i);
  }
  GstSDPAttribute attr;
  gst_sdp_attribute_set(&attr, key, value.c_str());
  gst_sdp_media_replace_attribute(media, first, &attr);
}

void
remove_attributes(GstSDPMedia *media, const char *key) {
  for (int i = static_cast<int>(gst_sdp_media_attributes_len(media)) - 1;
       i >= 0; i--) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute(media, i);
    if (a->key && strcmp(a->key, key) == 0)
      gst_sdp_media_remove_attribute(media, i);
  }
}

/* The m-line indices of BUNDLE group @value ("BUNDLE 0 1"), in the
 * group's order, skipping mids no m-line has. */
std::vector<guint>
group_members(const GstSDPMessage *sdp, const char *value) {
  std::vector<guint> out;
  gchar **tokens = g_strsplit_set(value, " \t", -1);
  if (!tokens[0] || strcmp(tokens[0], "BUNDLE") != 0) {
    g_strfreev(tokens);
    return out;
  }
  for (guint t = 1; tokens[t]; t++) {
    if (!*tokens[t])
      continue;
    for (guint m = 0; m < gst_sdp_message_medias_len(sdp); m++) {
      const char *mid = gst_sdp_media_get_attribute_val(
          gst_sdp_message_get_media(sdp, m), "mid");
      if (mid && strcmp(mid, tokens[t]) == 0) {
        bool seen = false;
        for (guint x : out)
          seen |= x == m;
        if (!seen)
          out.push_back(m);
        break;
      }
    }
  }
  g_strfreev(tokens);
  return out;
}

} // namespace

guint
sdp_normalize_bundle(GstSDPMessage *sdp) {
  if (!sdp)
    return 0;
  ensure_debug();
  guint changed = 0;
  for (guint g = 0; g < gst_sdp_message_attributes_len(sdp); g++) {
    const GstSDPAttribute *group = gst_sdp_message_get_attribute(sdp, g);
    if (!group->key || strcmp(group->key, "group") != 0 || !group->value)
      continue;
    std::vector<guint> members = group_members(sdp, group->value);
    if (members.size() < 2)
      continue;
    /* The offerer's tagged m-line: the first of the group. */
    const GstSDPMedia *tagged = gst_sdp_message_get_media(sdp, members[0]);
    std::string ufrag = attribute(sdp, tagged, "ice-ufrag");
    std::string pwd = attribute(sdp, tagged, "ice-pwd");
    if (ufrag.empty() || pwd.empty())
      continue; /* nothing to align to; webrtcbin says what is missing */
    for (size_t i = 1; i < members.size(); i++) {
      /* Media from a const message: the message is ours to change. */
      auto *media = const_cast<GstSDPMedia *>(
          gst_sdp_message_get_media(sdp, members[i]));
      if (attribute(sdp, media, "ice-ufrag") == ufrag
          && attribute(sdp, media, "ice-pwd") == pwd)
        continue;
      GST_INFO("BUNDLE: m-line %u had its own transport; using m-line %u's "
               "ice-ufrag/ice-pwd (RFC 8843: only the tagged m-line's "
               "transport is used) and dropping its candidates",
          members[i], members[0]);
      set_attribute(media, "ice-ufrag", ufrag);
      set_attribute(media, "ice-pwd", pwd);
      /* Its own transport's candidates: unused once bundled, and wrong
       * with the tagged credentials. */
      remove_attributes(media, "candidate");
      remove_attributes(media, "end-of-candidates");
      changed++;
    }
  }
  return changed;
}

bool
sdp_normalize_bundle_text(
    const std::string &in, std::string *out, guint *changed) {
  GstSDPMessage *msg = nullptr;
  if (in.empty() || in.size() > G_MAXUINT
      || gst_sdp_message_new(&msg) != GST_SDP_OK)
    return false;
  if (gst_sdp_message_parse_buffer(reinterpret_cast<const guint8 *>(in.data()),
          static_cast<guint>(in.size()), msg)
          != GST_SDP_OK
      || gst_sdp_message_medias_len(msg) == 0) {
    gst_sdp_message_free(msg);
    return false;
  }
  guint n = sdp_normalize_bundle(msg);
  if (changed)
    *changed = n;
  gchar *text = gst_sdp_message_as_text(msg);
  *out = text ? text : "";
  g_free(text);
  gst_sdp_message_free(msg);
  return true;
}

} // namespace gws
