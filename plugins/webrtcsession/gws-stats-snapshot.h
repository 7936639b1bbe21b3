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

#include "gws-candidate-stats.h"
#include "gws-loss-recovery.h"
#include "gws-webrtcbin-events.h"

#include <gst/gst.h>

#include <functional>
#include <mutex>
#include <string>
#include <vector>

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
  /* The `id` of every entry of the last published `sessions` list. */
  std::vector<std::string> session_ids() const {
    std::vector<std::string> out;
    std::lock_guard<std::mutex> g(lock_);
    const GValue *list
        = st_ ? gst_structure_get_value(st_, "sessions") : nullptr;
    if (!list || !GST_VALUE_HOLDS_LIST(list))
      return out;
    for (guint i = 0; i < gst_value_list_get_size(list); i++) {
      const GValue *v = gst_value_list_get_value(list, i);
      if (!GST_VALUE_HOLDS_STRUCTURE(v))
        continue;
      const char *id
          = gst_structure_get_string(gst_value_get_structure(v), "id");
      if (id)
        out.push_back(id);
    }
    return out;
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

/* Which loss counters a session's entry gets: a sender's (webrtcsink),
 * a receiver's (webrtcsrc), or both (webrtccall). */
enum class StatsDirection { Sending, Receiving, Both };

/* The `stats` getter of the elements: the snapshot (or, on the session
 * thread itself and before the first publish, @make), then, for every
 * entry of its `sessions` list, what is read straight from that
 * connection's webrtcbin in @bin (found by the entry's `id` and
 * `connection`): the loss counters of @direction and the selected
 * candidate pair. Those reads touch element properties only, on
 * the caller's thread, so the snapshot the session thread publishes after
 * every burst of work stays cheap with many consumers. */
inline GstStructure *
read_element_stats(const StatsSnapshot &snapshot, bool on_session_thread,
    const std::function<GstStructure *()> &make, GstBin *bin,
    StatsDirection direction) {
  GstStructure *st = on_session_thread ? nullptr : snapshot.copy();
  if (!st)
    st = make();
  const GValue *list = gst_structure_get_value(st, "sessions");
  if (!list || !GST_VALUE_HOLDS_LIST(list))
    return st;
  GValue out = G_VALUE_INIT;
  gst_value_list_init(&out, gst_value_list_get_size(list));
  for (guint i = 0; i < gst_value_list_get_size(list); i++) {
    const GValue *v = gst_value_list_get_value(list, i);
    if (!GST_VALUE_HOLDS_STRUCTURE(v)) {
      gst_value_list_append_value(&out, v);
      continue;
    }
    GstStructure *s = gst_structure_copy(gst_value_get_structure(v));
    const char *id = gst_structure_get_string(s, "id");
    guint conn = 0;
    gst_structure_get_uint(s, "connection", &conn);
    GstElement *webrtc
        = id ? gst_bin_get_by_name(bin, webrtcbin_name(id, conn).c_str())
             : nullptr;
    LossCounters counters = collect_loss_counters(webrtc);
    if (direction != StatsDirection::Receiving)
      loss_counters_to_structure(counters, false, s);
    if (direction != StatsDirection::Sending)
      loss_counters_to_structure(counters, true, s);
    candidate_stats_to_structure(webrtc, s);
    if (webrtc)
      gst_object_unref(webrtc);
    GValue sv = G_VALUE_INIT;
    g_value_init(&sv, GST_TYPE_STRUCTURE);
    gst_value_set_structure(&sv, s);
    gst_structure_free(s);
    gst_value_list_append_and_take_value(&out, &sv);
  }
  gst_structure_take_value(st, "sessions", &out);
  return st;
}

} // namespace gws
