/* gst-webrtc-session: the relay's counters, in one place.
 *
 * The Router counts what the protocol sees (messages by type, error replies
 * by cause, sessions, refused id claims); the RelayServer counts what only
 * the transport sees (connections, bytes, refusals before or outside the
 * protocol). Both update the one Metrics the Router owns
 * (Router::metrics()). Gauges (connections open, peers by role, sessions
 * open) are not stored: they are read from the Router and the server when
 * metrics_text.cpp renders them.
 *
 * Single-threaded like the Router: only the relay's main context touches
 * it, so plain integers suffice. */
#pragma once

#include "protocol/message.h"

#include <array>
#include <cstdint>

namespace gws::relay {

/* A connection the relay refused or closed on its own initiative. */
enum class Refusal {
  Unauthorized,   /* missing or wrong access token: HTTP 401 */
  ShuttingDown,   /* WebSocket upgrade during shutdown: HTTP 503 */
  PeerIdClaim,    /* ?peer-id= invalid or in use: error, then closed */
  Flooding,       /* over the message rate: closed */
  NotReading,     /* its socket stayed full: closed */
  Silent,         /* no answer to pings: reaped */
  RequestTimeout, /* no complete HTTP request in time: dropped */
  kCount
};

/* An error reply to a message; the connection stays open. */
enum class ErrorCause {
  TooLarge,     /* over --max-message-size */
  Malformed,    /* not JSON, unknown type, missing or wrong field */
  Binary,       /* a binary frame */
  Protocol,     /* valid message, wrong moment or direction */
  PeerId,       /* setPeerStatus peerId invalid or in use */
  Roles,        /* producer and consumer at once; target is no producer */
  UnknownPeer,  /* startSession to an id nobody holds */
  NotInSession, /* peer/endSession for a session the sender is not in */
  Flooding,     /* the last reply before a flooding peer is closed */
  kCount
};

const char *refusal_name(Refusal r);
const char *error_cause_name(ErrorCause c);

/* protocol::Type values, plus one slot for messages that did not parse. */
constexpr size_t kMessageTypeSlots
    = static_cast<size_t>(protocol::Type::Error) + 2;
constexpr size_t kUnparsedSlot = kMessageTypeSlots - 1;

struct Metrics {
  uint64_t connections_total = 0;          /* WebSocket connections accepted */
  uint64_t longpoll_connections_total = 0; /* long-poll connections opened */
  uint64_t sessions_started_total = 0;
  uint64_t sessions_ended_total = 0;
  /* Message payload bytes, both kinds (text and binary WebSocket frames,
   * long-poll messages). */
  uint64_t received_bytes_total = 0;
  uint64_t sent_bytes_total = 0;
  std::array<uint64_t, kMessageTypeSlots> received{}; /* by type */
  std::array<uint64_t, kMessageTypeSlots> sent{};     /* by type */
  std::array<uint64_t, static_cast<size_t>(Refusal::kCount)> refusals{};
  std::array<uint64_t, static_cast<size_t>(ErrorCause::kCount)> errors{};

  void count_received(protocol::Type t) { received[static_cast<size_t>(t)]++; }
  void count_unparsed() { received[kUnparsedSlot]++; }
  void count_sent(protocol::Type t) { sent[static_cast<size_t>(t)]++; }
  void count(Refusal r) { refusals[static_cast<size_t>(r)]++; }
  void count(ErrorCause c) { errors[static_cast<size_t>(c)]++; }
};

} // namespace gws::relay
