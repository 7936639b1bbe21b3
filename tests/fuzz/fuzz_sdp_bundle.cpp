/* Fuzz target: BUNDLE offer normalisation
 * (plugins/webrtcsession/gws-sdp-bundle.*), which both elements apply to
 * every remote offer before webrtcbin sees it.
 *
 * Input: SDP text (an offer from the network).
 *
 * Invariants: nothing crashes; what it accepts it writes as SDP that parses
 * with the same number of m-lines; with one BUNDLE group, normalising that
 * again changes nothing (the group already shares the tagged m-line's
 * credentials). With several groups that share an m-line (invalid, RFC
 * 8843 puts an m-line in one group at most) the last group wins, and a
 * second pass may change it again: not checked. */
#include "fuzz.h"
#include "gws-sdp-bundle.h"

#include <string>

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string in(reinterpret_cast<const char *>(data), size);
  std::string out;
  guint changed = 0;
  if (!gws::sdp_normalize_bundle_text(in, &out, &changed))
    return 0;

  GstSDPMessage *before = nullptr, *after = nullptr;
  gst_sdp_message_new(&before);
  gst_sdp_message_new(&after);
  gst_sdp_message_parse_buffer(
      reinterpret_cast<const guint8 *>(in.data()), in.size(), before);
  FUZZ_CHECK(
      gst_sdp_message_parse_buffer(
          reinterpret_cast<const guint8 *>(out.data()), out.size(), after)
          == GST_SDP_OK,
      "normalised SDP does not parse: %s", out.c_str());
  FUZZ_CHECK(
      gst_sdp_message_medias_len(after) == gst_sdp_message_medias_len(before),
      "%u m-lines became %u", gst_sdp_message_medias_len(before),
      gst_sdp_message_medias_len(after));
  guint groups = 0;
  for (guint i = 0; i < gst_sdp_message_attributes_len(before); i++)
    groups += g_strcmp0(gst_sdp_message_get_attribute(before, i)->key, "group")
              == 0;
  gst_sdp_message_free(before);
  gst_sdp_message_free(after);
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
