/* Fuzz target: the SDP and trickle-fragment helpers of WHIP/WHEP
 * (signaling/whip/whip-util.*: parse_sdpfrag, build_sdpfrag, parse_sdp,
 * sdp_with_candidates, sdp_mline_for_mid).
 *
 * Input: an SDP, a line "%%", then a trickle fragment (without "%%" the
 * whole input is the fragment). Fragment lines "x=<text>" are also handed
 * to sdp_with_candidates as raw candidates, as add-ice() does with what an
 * element gives it.
 *
 * Invariants: parse_sdpfrag explains every refusal and only accepts
 * candidates that start with "candidate:"; a fragment we build from a
 * description and parsed candidates parses again with the same
 * candidates; nothing crashes or throws. */
#include "fuzz.h"
#include "whip-util.h"

#include <string>
#include <vector>

using namespace gws::whip;

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string input(reinterpret_cast<const char *>(data), size);
  std::string sdp_text, frag_text = input;
  size_t sep = input.find("\n%%\n");
  if (sep != std::string::npos) {
    sdp_text = input.substr(0, sep + 1);
    frag_text = input.substr(sep + 4);
  }

  SdpFrag frag;
  std::string error;
  bool frag_ok = parse_sdpfrag(frag_text, frag, error);
  FUZZ_CHECK(frag_ok || !error.empty(), "refusal without a reason");
  if (frag_ok) {
    for (const auto &c : frag.candidates)
      FUZZ_CHECK(c.candidate.rfind("candidate:", 0) == 0,
          "accepted candidate \"%s\"", c.candidate.c_str());
  }

  std::vector<Candidate> raw;
  size_t pos = 0;
  while ((pos = frag_text.find("x=", pos)) != std::string::npos) {
    size_t end = frag_text.find('\n', pos);
    raw.push_back(Candidate{static_cast<guint>(raw.size() % 3), "",
        frag_text.substr(pos + 2,
            end == std::string::npos ? std::string::npos : end - pos - 2)});
    pos += 2;
  }

  std::string sdp_error;
  SdpPtr sdp(parse_sdp(sdp_text.empty() ? input : sdp_text, sdp_error));
  if (!sdp) {
    FUZZ_CHECK(!sdp_error.empty(), "SDP refusal without a reason");
    return 0;
  }
  (void)sdp_ufrag(sdp.get());
  (void)sdp_to_text(sdp.get());

  std::vector<Candidate> all = raw;
  if (frag_ok)
    all.insert(all.end(), frag.candidates.begin(), frag.candidates.end());
  for (const auto &c : all)
    (void)sdp_mline_for_mid(sdp.get(), c.mid);
  SdpPtr with(sdp_with_candidates(
      sdp.get(), all, frag_ok ? frag.end_of_candidates : false));
  FUZZ_CHECK(with, "sdp_with_candidates returned nothing");
  (void)sdp_to_text(with.get());

  if (frag_ok) {
    std::string built
        = build_sdpfrag(sdp.get(), frag.candidates, frag.end_of_candidates);
    SdpFrag back;
    std::string back_error;
    FUZZ_CHECK(parse_sdpfrag(built, back, back_error),
        "built fragment refused (%s): %s", back_error.c_str(), built.c_str());
    FUZZ_CHECK(back.candidates.size() == frag.candidates.size(),
        "%zu candidates became %zu: %s", frag.candidates.size(),
        back.candidates.size(), built.c_str());
  }
  return 0;
}
