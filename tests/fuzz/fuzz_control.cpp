/* Fuzz target: the control data channel's protocol (plugins/webrtcsession/
 * gws-control-protocol.*), which reads whatever a consumer sends on the
 * `control` channel.
 *
 * Input: one message. Invariants: control_parse_request() never crashes
 * and explains every refusal; an accepted request carries an event; a
 * navigation event it made is one the protocol can write back as a
 * request, and that request parses to an event of the same type;
 * control_parse_message() (what a consumer reads) never crashes. UBSan
 * checks the number conversions (a peer's 1e300 for a button). */
#include "fuzz.h"
#include "gws-control-protocol.h"

#include <gst/video/navigation.h>

#include <string>

using namespace gws;

extern "C" int
LLVMFuzzerInitialize(int *, char ***) {
  gst_init(nullptr, nullptr);
  return 0;
}

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  std::string type, error;
  gint64 id = 0;
  (void)control_parse_message(text, &type, &id, &error);

  ControlRequest req;
  error.clear();
  if (!control_parse_request(text, &req, &error)) {
    FUZZ_CHECK(!error.empty(), "refusal without a reason");
    FUZZ_CHECK(!req.event, "an event from a refused request");
    return 0;
  }
  FUZZ_CHECK(req.event, "accepted without an event");
  FUZZ_CHECK(req.id >= 0, "accepted without an id");
  if (req.type != ControlRequestType::Navigation)
    return 0;
  std::string again = control_navigation_request(req.id, req.event.get(), "");
  if (again.empty())
    return 0; /* a navigation event the protocol cannot express */
  ControlRequest back;
  FUZZ_CHECK(control_parse_request(again, &back, &error),
      "written back, refused (%s): %s", error.c_str(), again.c_str());
  FUZZ_CHECK(gst_navigation_event_get_type(back.event.get())
                 == gst_navigation_event_get_type(req.event.get()),
      "written back as another event: %s", again.c_str());
  FUZZ_CHECK(back.id == req.id, "id changed: %s", again.c_str());
  return 0;
}
