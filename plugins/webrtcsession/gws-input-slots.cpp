/* gst-webrtc-session: input pad names and payload types (see the header). */
#include "gws-input-slots.h"

#include <cstdio>

namespace gws {

InputSlot
take_input_slot(InputSlots &slots, MediaKind kind, const char *requested,
    const std::function<bool(const std::string &)> &taken, std::string *name,
    std::map<const CodecInfo *, int> *pts) {
  bool video = kind == MediaKind::Video;
  guint &counter = video ? slots.next_video : slots.next_audio;
  guint index = counter;
  if (requested
      && sscanf(requested, video ? "video_%u" : "audio_%u", &index) == 1)
    counter = MAX(counter, index + 1);
  else
    counter++;
  *name = std::string(video ? "video_" : "audio_") + std::to_string(index);
  if (taken(*name))
    return InputSlot::NameTaken;
  for (const auto &c : codec_table()) {
    if (c.kind != kind)
      continue;
    if (slots.next_pt > 127)
      return InputSlot::OutOfPayloadTypes;
    (*pts)[&c] = slots.next_pt++;
  }
  return InputSlot::Ok;
}

} // namespace gws
