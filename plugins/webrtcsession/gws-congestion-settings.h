/* gst-webrtc-session: webrtcsink's congestion control properties.
 *
 *   congestion-control  GwsCongestionControl: "gcc" (ours, default) or
 *                       "disabled" (encoders keep their fixed rate)
 *   min-bitrate, start-bitrate, max-bitrate  (bit/s) the estimate's bounds
 *                       and where it starts
 *   max-renditions      encoders per (stream, codec) at most
 *
 * Threading: the values are guarded by the element's settings lock (the
 * caller holds it around set/get and when copying them out). */
#pragma once

#include "gws-bandwidth-estimator.h"

#include <gst/gst.h>

G_BEGIN_DECLS

typedef enum {
  GWS_CONGESTION_CONTROL_DISABLED = 0,
  GWS_CONGESTION_CONTROL_GCC = 1,
} GwsCongestionControl;

#define GWS_TYPE_CONGESTION_CONTROL (gws_congestion_control_get_type())
GType gws_congestion_control_get_type(void);

G_END_DECLS

namespace gws {

struct CongestionSettings {
  GwsCongestionControl mode = GWS_CONGESTION_CONTROL_GCC;
  guint min_bps = 100'000;
  guint start_bps = 300'000;
  guint max_bps = 8'000'000;
  guint max_renditions = 3;

  bool enabled() const { return mode != GWS_CONGESTION_CONTROL_DISABLED; }
  /* The estimator's bounds (start clamped into [min, max]). */
  BandwidthEstimator::Config estimator_config() const;
};

/* Installs the five properties with ids @first_id .. @first_id + 4. */
void congestion_install_properties(GObjectClass *klass, guint first_id);
/* Sets or gets property @prop_id if it is one of them; false otherwise. */
bool congestion_set_property(CongestionSettings &settings, guint first_id,
    guint prop_id, const GValue *value);
bool congestion_get_property(const CongestionSettings &settings, guint first_id,
    guint prop_id, GValue *value);

} // namespace gws
