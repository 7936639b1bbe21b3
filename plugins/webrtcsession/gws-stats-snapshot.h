/* gst-webrtc-session: the elements' `stats`, as last published by the
 * session thread.
 *
 * The `stats` getter must not wait for the session thread: called from a
 * streaming thread (a pad probe) while the session thread waits for that
 * very thread (a child going to NULL), it would deadlock. So the session
 * thread publishes a fresh structure after every burst of work
 * (gws::Worker::set_after_work) and the getter copies it; on the session
 * thread itself, or while no thread runs, the getter builds it directly. */
#pragma once

#include <gst/gst.h>

#include <mutex>

namespace gws {

class StatsSnapshot {
 public:
  StatsSnapshot() = default;
  ~StatsSnapshot() {
    if (st_)
      gst_structure_free(st_);
  }
  StatsSnapshot(const StatsSnapshot &) = delete;
  StatsSnapshot &operator=(const StatsSnapshot &) = delete;

  /* Takes @st. Any thread. */
  void publish(GstStructure *st) {
    GstStructure *old;
    {
      std::lock_guard<std::mutex> g(lock_);
      old = st_;
      st_ = st;
    }
    if (old)
      gst_structure_free(old);
  }
  /* A copy of the last published, or null when none was. Any thread. */
  GstStructure *copy() const {
    std::lock_guard<std::mutex> g(lock_);
    return st_ ? gst_structure_copy(st_) : nullptr;
  }
  /* TRUE when the last published `sessions` list holds @id (null: any). */
  bool has_session(const char *id) const {
    std::lock_guard<std::mutex> g(lock_);
    const GValue *list
        = st_ ? gst_structure_get_value(st_, "sessions") : nullptr;
    if (!list || !GST_VALUE_HOLDS_LIST(list))
      return false;
    for (guint i = 0; i < gst_value_list_get_size(list); i++) {
      const GValue *v = gst_value_list_get_value(list, i);
      if (!GST_VALUE_HOLDS_STRUCTURE(v))
        continue;
      const GstStructure *s = gst_value_get_structure(v);
      if (!id || g_strcmp0(gst_structure_get_string(s, "id"), id) == 0)
        return true;
    }
    return false;
  }

 private:
  mutable std::mutex lock_; /* leaf; guards st_ */
  GstStructure *st_ = nullptr;
};

} // namespace gws
