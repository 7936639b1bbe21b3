/* gst-webrtc-session: the relay's counters as text (see metrics_text.h). */
#include "metrics_text.h"

#include <json-glib/json-glib.h>

namespace gws::relay {

namespace {

constexpr protocol::Type kTypes[] = {protocol::Type::Welcome,
    protocol::Type::SetProtocolVersion, protocol::Type::SetPeerStatus,
    protocol::Type::PeerStatusChanged, protocol::Type::StartSession,
    protocol::Type::SessionStarted, protocol::Type::Peer,
    protocol::Type::EndSession, protocol::Type::EndSessionV1_1,
    protocol::Type::List, protocol::Type::ListConsumers, protocol::Type::Error};
static_assert(sizeof(kTypes) / sizeof(kTypes[0]) == kMessageTypeSlots - 1,
    "every protocol::Type has a metrics slot");

class Writer {
 public:
  void family(const char *name, const char *type, const char *help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  /* Label values here are our own names (no quotes, backslashes or
   * newlines to escape). */
  void sample(const char *name, uint64_t value, const char *label = nullptr,
      const char *label_value = nullptr) {
    out_ += name;
    if (label) {
      out_ += '{';
      out_ += label;
      out_ += "=\"";
      out_ += label_value;
      out_ += "\"}";
    }
    out_ += ' ';
    out_ += std::to_string(value);
    out_ += '\n';
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

} // namespace

const char *
refusal_name(Refusal r) {
  switch (r) {
    case Refusal::Unauthorized:
      return "unauthorized";
    case Refusal::ShuttingDown:
      return "shutting_down";
    case Refusal::PeerIdClaim:
      return "peer_id_claim";
    case Refusal::Flooding:
      return "flooding";
    case Refusal::NotReading:
      return "not_reading";
    case Refusal::Silent:
      return "silent";
    case Refusal::RequestTimeout:
      return "request_timeout";
    case Refusal::kCount:
      break;
  }
  return "?";
}

const char *
error_cause_name(ErrorCause c) {
  switch (c) {
    case ErrorCause::TooLarge:
      return "too_large";
    case ErrorCause::Malformed:
      return "malformed";
    case ErrorCause::Binary:
      return "binary";
    case ErrorCause::Protocol:
      return "protocol";
    case ErrorCause::PeerId:
      return "peer_id";
    case ErrorCause::Roles:
      return "roles";
    case ErrorCause::UnknownPeer:
      return "unknown_peer";
    case ErrorCause::NotInSession:
      return "not_in_session";
    case ErrorCause::Flooding:
      return "flooding";
    case ErrorCause::kCount:
      break;
  }
  return "?";
}

std::string
render_prometheus(const MetricsView &v) {
  const Metrics &m = v.metrics;
  Writer w;
  w.family("gws_relay_start_time_seconds", "gauge",
      "When the relay started, in seconds since the Unix epoch.");
  w.sample(
      "gws_relay_start_time_seconds", static_cast<uint64_t>(v.start_time_unix));
  w.family(
      "gws_relay_open_connections", "gauge", "Open WebSocket connections.");
  w.sample("gws_relay_open_connections", v.connections);
  w.family("gws_relay_connections_total", "counter",
      "WebSocket connections accepted (upgraded).");
  w.sample("gws_relay_connections_total", m.connections_total);
  w.family("gws_relay_open_longpoll_connections", "gauge",
      "Open HTTP long-poll connections (/poll).");
  w.sample("gws_relay_open_longpoll_connections", v.longpoll_connections);
  w.family("gws_relay_longpoll_connections_total", "counter",
      "HTTP long-poll connections opened (POST /poll).");
  w.sample(
      "gws_relay_longpoll_connections_total", m.longpoll_connections_total);
  w.family("gws_relay_peers", "gauge",
      "Connected peers by registered role (a consumer that also listens "
      "counts under both; none: not registered yet).");
  w.sample("gws_relay_peers", v.peers.producer, "role", "producer");
  w.sample("gws_relay_peers", v.peers.consumer, "role", "consumer");
  w.sample("gws_relay_peers", v.peers.listener, "role", "listener");
  w.sample("gws_relay_peers", v.peers.none, "role", "none");
  w.family("gws_relay_open_sessions", "gauge", "Open sessions.");
  w.sample("gws_relay_open_sessions", v.sessions);
  w.family("gws_relay_sessions_started_total", "counter", "Sessions started.");
  w.sample("gws_relay_sessions_started_total", m.sessions_started_total);
  w.family("gws_relay_sessions_ended_total", "counter",
      "Sessions ended (by either peer, a disconnect or an unregistered "
      "producer).");
  w.sample("gws_relay_sessions_ended_total", m.sessions_ended_total);
  w.family("gws_relay_messages_received_total", "counter",
      "Text messages received from peers, by type (unparsed: too large or "
      "malformed).");
  for (protocol::Type t : kTypes)
    w.sample("gws_relay_messages_received_total",
        m.received[static_cast<size_t>(t)], "type", protocol::type_name(t));
  w.sample("gws_relay_messages_received_total", m.received[kUnparsedSlot],
      "type", "unparsed");
  w.family("gws_relay_messages_sent_total", "counter",
      "Messages sent to peers, by type.");
  for (protocol::Type t : kTypes)
    w.sample("gws_relay_messages_sent_total", m.sent[static_cast<size_t>(t)],
        "type", protocol::type_name(t));
  w.family("gws_relay_refusals_total", "counter",
      "Connections the relay refused or closed on its own, by cause.");
  for (size_t i = 0; i < m.refusals.size(); i++)
    w.sample("gws_relay_refusals_total", m.refusals[i], "cause",
        refusal_name(static_cast<Refusal>(i)));
  w.family("gws_relay_errors_total", "counter",
      "Error replies to peers' messages (the connection stays open unless "
      "flooding), by cause.");
  for (size_t i = 0; i < m.errors.size(); i++)
    w.sample("gws_relay_errors_total", m.errors[i], "cause",
        error_cause_name(static_cast<ErrorCause>(i)));
  w.family("gws_relay_received_bytes_total", "counter",
      "Message payload bytes received (WebSocket frames and long-poll "
      "messages).");
  w.sample("gws_relay_received_bytes_total", m.received_bytes_total);
  w.family("gws_relay_sent_bytes_total", "counter",
      "Message payload bytes sent (WebSocket frames and long-poll "
      "messages).");
  w.sample("gws_relay_sent_bytes_total", m.sent_bytes_total);
  return w.take();
}

std::string
render_status_json(const MetricsView &v) {
  const Metrics &m = v.metrics;
  g_autoptr(JsonBuilder) b = json_builder_new();
  auto member = [&b](const char *name, uint64_t value) {
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, static_cast<gint64>(value));
  };
  json_builder_begin_object(b);
  member("uptime_seconds",
      static_cast<uint64_t>(
          v.now_unix > v.start_time_unix ? v.now_unix - v.start_time_unix : 0));
  member("connections", v.connections);
  member("connections_total", m.connections_total);
  member("longpoll_connections", v.longpoll_connections);
  member("longpoll_connections_total", m.longpoll_connections_total);
  json_builder_set_member_name(b, "peers");
  json_builder_begin_object(b);
  member("producer", v.peers.producer);
  member("consumer", v.peers.consumer);
  member("listener", v.peers.listener);
  member("none", v.peers.none);
  json_builder_end_object(b);
  member("sessions", v.sessions);
  member("sessions_started_total", m.sessions_started_total);
  member("sessions_ended_total", m.sessions_ended_total);
  auto by_type = [&](const char *name, const auto &counts, bool unparsed) {
    json_builder_set_member_name(b, name);
    json_builder_begin_object(b);
    for (protocol::Type t : kTypes)
      member(protocol::type_name(t), counts[static_cast<size_t>(t)]);
    if (unparsed)
      member("unparsed", counts[kUnparsedSlot]);
    json_builder_end_object(b);
  };
  by_type("messages_received", m.received, true);
  by_type("messages_sent", m.sent, false);
  json_builder_set_member_name(b, "refusals");
  json_builder_begin_object(b);
  for (size_t i = 0; i < m.refusals.size(); i++)
    member(refusal_name(static_cast<Refusal>(i)), m.refusals[i]);
  json_builder_end_object(b);
  json_builder_set_member_name(b, "errors");
  json_builder_begin_object(b);
  for (size_t i = 0; i < m.errors.size(); i++)
    member(error_cause_name(static_cast<ErrorCause>(i)), m.errors[i]);
  json_builder_end_object(b);
  member("received_bytes_total", m.received_bytes_total);
  member("sent_bytes_total", m.sent_bytes_total);
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autofree char *text = json_to_string(root, TRUE);
  return std::string(text) + "\n";
}

} // namespace gws::relay
