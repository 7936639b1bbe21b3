/* gst-webrtc-session: frames and freezes of one video output, as browsers
 * count them.
 *
 * A freeze is a frame interval longer than max(3 x the average interval,
 * the average + 150 ms), the average taken over the preceding (up to 30)
 * intervals that were not freezes themselves: the definition behind
 * Chromium's `freezeCount` / `totalFreezesDuration`, so the figures of
 * webrtcsrc's `stats` compare with a browser's getStats().
 *
 * Threading: on_frame() runs on the output's streaming thread(s), figures()
 * on any thread; `lock_` (a leaf) guards everything. */
#pragma once

#include <glib.h>

#include <deque>
#include <mutex>

namespace gws {

class FreezeMeter {
 public:
  struct Figures {
    guint64 frames = 0;
    guint64 freezes = 0;
    guint64 freeze_ms = 0; /* total duration of the freezes */
    guint64 longest_ms = 0;
  };

  /* A frame left the output at @now_us (monotonic). */
  void on_frame(gint64 now_us) {
    std::lock_guard<std::mutex> g(lock_);
    f_.frames++;
    if (last_us_ >= 0) {
      gint64 gap = now_us - last_us_;
      bool frozen = false;
      if (recent_.size() >= 5) {
        gint64 avg = recent_sum_ / static_cast<gint64>(recent_.size());
        if (gap > MAX(3 * avg, avg + 150000)) {
          frozen = true;
          f_.freezes++;
          f_.freeze_ms += gap / 1000;
          f_.longest_ms = MAX(f_.longest_ms, static_cast<guint64>(gap / 1000));
        }
      }
      if (!frozen) {
        recent_.push_back(gap);
        recent_sum_ += gap;
        if (recent_.size() > 30) {
          recent_sum_ -= recent_.front();
          recent_.pop_front();
        }
      }
    }
    last_us_ = now_us;
  }

  Figures figures() const {
    std::lock_guard<std::mutex> g(lock_);
    return f_;
  }

 private:
  mutable std::mutex lock_;
  Figures f_;
  gint64 last_us_ = -1;
  std::deque<gint64> recent_;
  gint64 recent_sum_ = 0;
};

} // namespace gws
