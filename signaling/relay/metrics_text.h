/* gst-webrtc-session: the relay's counters as text: Prometheus text
 * exposition format 0.0.4 (GET /metrics) and a JSON summary (GET /status).
 * Pure functions of a MetricsView; the server builds the view and serves
 * the text (metrics_http.cpp). Metric names are listed in docs/protocol.md
 * ("Metrics and status"). */
#pragma once

#include "metrics.h"
#include "router.h"

#include <cstdint>
#include <string>

namespace gws::relay {

/* What one scrape shows: the counters plus the gauges read at that time. */
struct MetricsView {
  const Metrics &metrics;
  PeerCounts peers;
  size_t connections = 0;          /* open WebSocket connections */
  size_t longpoll_connections = 0; /* open long-poll connections */
  size_t sessions = 0;             /* open sessions */
  int64_t start_time_unix = 0;     /* when the relay started, seconds */
  int64_t now_unix = 0;
};

constexpr const char *kPrometheusContentType
    = "text/plain; version=0.0.4; charset=utf-8";

std::string render_prometheus(const MetricsView &view);
std::string render_status_json(const MetricsView &view);

} // namespace gws::relay
