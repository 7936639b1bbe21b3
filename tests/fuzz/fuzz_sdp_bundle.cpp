/* Fuzz target: BUNDLE offer normalisation
 * (plugins/webrtcsession/gws-sdp-bundle.*), which both elements apply to
 * every remote offer before webrtcbin sees it.
 *
 * Input: SDP text (an offer from the network). Odd text does not always
 * survive GStreamer's own parse + as_text round trip unchanged; the
 * invariants are checked on the input's round-trip fixed point (inputs
 * without one within three trips are GStreamer's business, not ours).
 *
 * Invariants: nothing crashes or leaks on any input; on the fixed point,
 * what it accepts it writes as SDP with the same m-lines, and with one
 * BUNDLE group normalising again changes nothing (the group already shares
 * the tagged m-line's credentials). With several groups that share an
 * m-line (invalid, RFC 8843 puts an m-line in one group at most) the last
 * group wins and a second pass may change it again: not checked. */
#include "fuzz.h"
#include "gws-sdp-bundle.h"

#include <string>

namespace {

/* parse + as_text; false when it does not parse. */
bool
round_trip(
    const std::string &in, std::string &out, guint &medias, guint &groups) {
  GstSDPMessage *msg = nullptr;
  gst_sdp_message_new(&msg);
  bool ok = gst_sdp_message_parse_buffer(
                reinterpret_cast<const guint8 *>(in.data()), in.size(), msg)
            == GST_SDP_OK;
  if (ok) {
    gchar *text = gst_sdp_message_as_text(msg);
    out = text ? text : "";
    g_free(text);
    medias = gst_sdp_message_medias_len(msg);
    groups = 0;
    for (guint i = 0; i < gst_sdp_message_attributes_len(msg); i++)
      groups += g_strcmp0(gst_sdp_message_get_attribute(msg, i)->key, "group")
                == 0;
  }
  gst_sdp_message_free(msg);
  return ok;
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string in(reinterpret_cast<const char *>(data), size);
  std::string out;
  guint changed = 0;
  /* Every input, whatever it is: no crash, no leak. */
  if (!gws::sdp_normalize_bundle_text(in, &out, &changed))
    return 0;

  std::string fixed = in, next;
  guint medias = 0, groups = 0;
  bool stable = false;
  for (int i = 0; i < 3 && !stable; i++) {
    if (!round_trip(fixed, next, medias, groups))
      return 0;
    stable = next == fixed;
    fixed = next;
  }
  if (!stable || medias == 0)
    return 0;

  FUZZ_CHECK(gws::sdp_normalize_bundle_text(fixed, &out, &changed),
      "refused: %s", fixed.c_str());
  guint out_medias = 0, out_groups = 0;
  std::string text;
  FUZZ_CHECK(round_trip(out, text, out_medias, out_groups),
      "normalised SDP does not parse: %s", out.c_str());
  FUZZ_CHECK(out_medias == medias, "%u m-lines became %u", medias, out_medias);
  if (groups > 1)
    return 0;
  std::string again;
  guint changed_again = 0;
  FUZZ_CHECK(gws::sdp_normalize_bundle_text(out, &again, &changed_again),
      "normalised SDP refused: %s", out.c_str());
  FUZZ_CHECK(changed_again == 0, "not stable: %u m-lines changed again in %s",
      changed_again, out.c_str());
  return 0;
}
