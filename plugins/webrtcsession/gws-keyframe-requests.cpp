/* gst-webrtc-session: a consumer connection's key-frame requests (see
 * gws-keyframe-requests.h). */
#include "gws-keyframe-requests.h"

#include "gws-renditions.h"

#include <gst/video/video.h>

#include <algorithm>

GST_DEBUG_CATEGORY_STATIC(gws_keyframes_debug);
#define GST_CAT_DEFAULT gws_keyframes_debug

namespace gws {

bool
KeyframePolicy::low() const {
  return estimate_bps_ > 0 && estimate_bps_ < kLowEstimateBps;
}

int64_t
KeyframePolicy::interval() const {
  return std::max(kMinIntervalUs << backoff_, 3 * rtt_us_);
}

void
KeyframePolicy::set_estimate(int64_t bps) {
  estimate_bps_ = bps;
  if (!low())
    backoff_ = 0;
}

void
KeyframePolicy::forward(int64_t now) {
  /* Kept asking: a request waited out the interval, or came soon after
   * it ended. While the link is slow, the next one waits longer. */
  bool kept_asking
      = held_ || (last_forward_ >= 0 && now - last_forward_ < 2 * interval());
  last_forward_ = now;
  forwarded++;
  held_ = false;
  if (kept_asking && low()
      && (kMinIntervalUs << (backoff_ + 1)) <= kMaxIntervalUs)
    backoff_++;
}

bool
KeyframePolicy::on_request(int64_t now) {
  received++;
  if (last_request_ >= 0 && now - last_request_ >= kCalmUs)
    backoff_ = 0;
  last_request_ = now;
  if (last_key_ >= 0 && now - last_key_ < std::max(kInFlightUs, rtt_us_)) {
    absorbed++;
    return false;
  }
  if (last_forward_ < 0 || now - last_forward_ >= interval()) {
    forward(now);
    return true;
  }
  held_ = true;
  return false;
}

void
KeyframePolicy::on_keyframe_sent(int64_t now) {
  last_key_ = now;
  if (held_) {
    held_ = false;
    absorbed++;
  }
}

bool
KeyframePolicy::poll(int64_t now) {
  if (!held_ || now - last_forward_ < interval())
    return false;
  forward(now);
  return true;
}

void
KeyframePolicy::on_forced(int64_t now) {
  last_forward_ = now;
  held_ = false;
}

std::shared_ptr<KeyframeRequests>
KeyframeRequests::create(
    std::string name, std::function<void(size_t)> request) {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(gws_keyframes_debug, "gws-keyframes", 0,
        "webrtcsink per-consumer key-frame requests");
    g_once_init_leave(&once, 1);
  }
  return std::shared_ptr<KeyframeRequests>(
      new KeyframeRequests(std::move(name), std::move(request)));
}

KeyframePolicy &
KeyframeRequests::policy(size_t stream) {
  if (policies_.size() <= stream)
    policies_.resize(stream + 1);
  return policies_[stream];
}

void
KeyframeRequests::install(GstPad *pad, size_t stream, const CodecInfo &codec) {
  {
    std::lock_guard<std::mutex> g(lock_);
    policy(stream).set_rtt(rtt_us_);
    policy(stream).set_estimate(estimate_bps_);
  }
  struct Data {
    std::weak_ptr<KeyframeRequests> self;
    size_t stream;
    const CodecInfo *codec;
  };
  gst_pad_add_probe(
      pad,
      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER
                                   | GST_PAD_PROBE_TYPE_BUFFER_LIST
                                   | GST_PAD_PROBE_TYPE_EVENT_UPSTREAM),
      [](GstPad *, GstPadProbeInfo *info, gpointer data) {
        auto *d = static_cast<Data *>(data);
        std::shared_ptr<KeyframeRequests> self = d->self.lock();
        if (info->type & GST_PAD_PROBE_TYPE_EVENT_UPSTREAM) {
          GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
          if (!gst_video_event_is_force_key_unit(ev))
            return GST_PAD_PROBE_OK;
          /* Ours to handle, never the funnel's (every rendition). */
          if (self)
            self->request(d->stream, false);
          return GST_PAD_PROBE_DROP;
        }
        if (!self)
          return GST_PAD_PROBE_OK;
        GstBuffer *first = nullptr;
        if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
          first = GST_PAD_PROBE_INFO_BUFFER(info);
        } else {
          GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
          if (gst_buffer_list_length(list) > 0)
            first = gst_buffer_list_get(list, 0);
        }
        bool key = first && rtp_starts_keyframe(first, *d->codec);
        int64_t now = g_get_monotonic_time();
        bool go = false;
        {
          std::lock_guard<std::mutex> g(self->lock_);
          KeyframePolicy &p = self->policy(d->stream);
          if (key) {
            p.on_keyframe_sent(now);
            self->keyframes_++;
          } else {
            go = p.poll(now);
          }
        }
        if (go) {
          GST_DEBUG("%s: stream %zu: held key frame request goes",
              self->name_.c_str(), d->stream);
          self->request_(d->stream);
        }
        return GST_PAD_PROBE_OK;
      },
      new Data{weak_from_this(), stream, &codec},
      [](gpointer data) { delete static_cast<Data *>(data); });
}

void
KeyframeRequests::request(size_t stream, bool force) {
  int64_t now = g_get_monotonic_time();
  bool go;
  {
    std::lock_guard<std::mutex> g(lock_);
    KeyframePolicy &p = policy(stream);
    if (force) {
      p.on_forced(now);
      go = true;
    } else {
      go = p.on_request(now);
    }
  }
  GST_DEBUG("%s: stream %zu: key frame request %s", name_.c_str(), stream,
      go ? "goes" : "held or absorbed");
  if (go)
    request_(stream);
}

void
KeyframeRequests::set_rtt(int64_t rtt_us) {
  std::lock_guard<std::mutex> g(lock_);
  rtt_us_ = rtt_us;
  for (KeyframePolicy &p : policies_)
    p.set_rtt(rtt_us);
}

void
KeyframeRequests::set_estimate(int64_t bps) {
  std::lock_guard<std::mutex> g(lock_);
  estimate_bps_ = bps;
  for (KeyframePolicy &p : policies_)
    p.set_estimate(bps);
}

KeyframeRequests::Stats
KeyframeRequests::stats() const {
  std::lock_guard<std::mutex> g(lock_);
  Stats s;
  for (const KeyframePolicy &p : policies_) {
    s.received += p.received;
    s.forwarded += p.forwarded;
    s.absorbed += p.absorbed;
  }
  s.keyframes = keyframes_;
  return s;
}

} // namespace gws
