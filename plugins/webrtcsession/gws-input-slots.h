/* gst-webrtc-session: the name and payload types of a new input request
 * pad, for the elements that take inputs (webrtcsink, webrtccall).
 *
 * A pad is "video_N" / "audio_N" (the name asked for, or the next free
 * number) and gets a fixed payload type per codec of its kind, unique
 * across the element (every connection's BUNDLE uses the same numbers).
 *
 * Pure bookkeeping: the caller holds the lock that guards @slots and
 * posts any warning after releasing it. */
#pragma once

#include "gws-codecs.h"

#include <functional>
#include <map>
#include <string>

namespace gws {

struct InputSlots {
  guint next_video = 0;
  guint next_audio = 0;
  int next_pt = 96;
};

enum class InputSlot { Ok, NameTaken, OutOfPayloadTypes };

/* Names a new input of @kind (@requested: the name the application asked
 * for, or NULL) into @name, unless @taken says that name is in use, and
 * reserves its payload types into @pts. */
InputSlot take_input_slot(InputSlots &slots, MediaKind kind,
    const char *requested,
    const std::function<bool(const std::string &)> &taken, std::string *name,
    std::map<const CodecInfo *, int> *pts);

} // namespace gws
