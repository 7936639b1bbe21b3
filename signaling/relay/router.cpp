/* gst-webrtc-session: the relay's routing core (see router.h and
 * docs/protocol.md for the rules). */
#include "router.h"

#include <glib.h>

#include <algorithm>
#include <cctype>

namespace gws::relay {

using protocol::Message;
using protocol::Type;

namespace {

/* How many ended session ids a peer remembers, so that the browser client's
 * habit of echoing endSession back is not answered with an error. */
constexpr size_t kRecentlyEnded = 16;

std::string
new_uuid() {
  g_autofree char *id = g_uuid_string_random();
  return id;
}

std::string
roles_text(protocol::Roles roles) {
  std::string s;
  auto add = [&s](const char *name) {
    if (!s.empty())
      s += "+";
    s += name;
  };
  if (roles & protocol::kProducer)
    add("producer");
  if (roles & protocol::kConsumer)
    add("consumer");
  if (roles & protocol::kListener)
    add("listener");
  return s.empty() ? "no role" : s;
}

/* A claimed id as it may appear in an error message: the claim comes from
 * the URL (percent-decoded bytes), the message must be UTF-8 JSON. */
std::string
shown_id(const std::string &id) {
  g_autofree char *valid
      = g_utf8_make_valid(id.data(), static_cast<gssize>(id.size()));
  return valid;
}

} // namespace

struct Router::Peer {
  ConnectionId conn = 0;
  std::string id;
  protocol::Version version = protocol::Version::V1_0;
  bool seen_message = false;
  protocol::Roles roles = 0;
  protocol::Json meta;
  std::set<std::string> sessions;
  /* Oldest first. A vector, not a deque: an empty std::deque allocates
   * ~600 bytes, per idle connection. */
  std::vector<std::string> recently_ended;
  double tokens = 0;
  Clock::time_point refilled;
  bool closing = false;
};

struct Router::Session {
  std::string id;
  ConnectionId producer = 0;
  ConnectionId consumer = 0;
};

Router::Router(Output &out, RouterConfig config)
    : out_(out), config_(config), now_([] { return Clock::now(); }) {}

Router::~Router() = default;

std::string
Router::peer_id(ConnectionId conn) const {
  auto it = peers_.find(conn);
  return it == peers_.end() ? std::string() : it->second->id;
}

Router::Peer *
Router::find_by_id(const std::string &id) {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

Router::Peer *
Router::find_by_conn(ConnectionId conn) {
  auto it = peers_.find(conn);
  return it == peers_.end() ? nullptr : it->second.get();
}

PeerCounts
Router::peer_counts() const {
  PeerCounts c;
  for (const auto &entry : peers_) {
    protocol::Roles roles = entry.second->roles;
    c.producer += (roles & protocol::kProducer) ? 1 : 0;
    c.consumer += (roles & protocol::kConsumer) ? 1 : 0;
    c.listener += (roles & protocol::kListener) ? 1 : 0;
    c.none += roles ? 0 : 1;
  }
  return c;
}

void
Router::send(const Peer &peer, const Message &msg) {
  if (peer.closing)
    return;
  metrics_.count_sent(msg.type);
  out_.send(peer.conn, protocol::serialize(msg));
}

void
Router::send_error(
    const Peer &peer, ErrorCause cause, const std::string &details) {
  metrics_.count(cause);
  out_.log("refused from " + peer.id + ": " + details);
  send(peer, protocol::make_error(details));
}

bool
Router::valid_peer_id(const std::string &id, std::string &why) const {
  if (id.empty() || id.size() > config_.max_peer_id_length) {
    why = "a peer id must have 1 to "
          + std::to_string(config_.max_peer_id_length) + " characters";
    return false;
  }
  for (unsigned char c : id) {
    if (!std::isalnum(c) && c != '-' && c != '_' && c != '.' && c != '~'
        && c != ':' && c != '@') {
      why = "peer id \"" + shown_id(id)
            + "\" may only use letters, digits and - _ . ~ : @";
      return false;
    }
  }
  return true;
}

bool
Router::connect(ConnectionId conn, const std::string &claimed_id) {
  std::string id = claimed_id;
  std::string why;
  if (!id.empty()) {
    if (valid_peer_id(id, why) && find_by_id(id))
      why = "peer id \"" + id + "\" is already in use";
    if (!why.empty()) {
      out_.log("refused connection claiming \"" + id + "\": " + why);
      metrics_.count(Refusal::PeerIdClaim);
      metrics_.count_sent(Type::Error);
      out_.send(conn, protocol::serialize(protocol::make_error(why)));
      out_.close(conn, why);
      return false;
    }
  } else {
    do
      id = new_uuid();
    while (find_by_id(id));
  }

  auto peer = std::make_unique<Peer>();
  peer->conn = conn;
  peer->id = id;
  peer->tokens = config_.flood_burst;
  peer->refilled = now_();
  by_id_[id] = peer.get();
  Peer &p = *peer;
  peers_[conn] = std::move(peer);
  out_.log("peer " + id + " connected");
  send(p, protocol::make_welcome(id));
  return true;
}

double
Router::flood_rate(const Peer &peer) const {
  return config_.flood_rate
         + config_.flood_session_rate
               * static_cast<double>(peer.sessions.size());
}

bool
Router::take_token(Peer &peer) {
  auto now = now_();
  double elapsed = std::chrono::duration<double>(now - peer.refilled).count();
  peer.refilled = now;
  double sessions = static_cast<double>(peer.sessions.size());
  double burst = config_.flood_burst + sessions * config_.flood_session_burst;
  peer.tokens = std::min(burst, peer.tokens + elapsed * flood_rate(peer));
  if (peer.tokens < 1.0)
    return false;
  peer.tokens -= 1.0;
  return true;
}

void
Router::receive(ConnectionId conn, std::string_view text) {
  Peer *peer = find_by_conn(conn);
  if (!peer || peer->closing)
    return;

  if (!take_token(*peer)) {
    metrics_.count(Refusal::Flooding);
    send_error(*peer, ErrorCause::Flooding,
        "too many messages (more than " + std::to_string(int(flood_rate(*peer)))
            + "/s): disconnecting");
    peer->closing = true;
    out_.close(conn, "flooding");
    return;
  }

  bool first = !peer->seen_message;
  peer->seen_message = true;

  if (text.size() > config_.max_message_size) {
    metrics_.count_unparsed();
    send_error(*peer, ErrorCause::TooLarge,
        "message of " + std::to_string(text.size())
            + " bytes exceeds the limit of "
            + std::to_string(config_.max_message_size) + " bytes");
    return;
  }

  /* Trickled candidates, most of the traffic, skip the JSON tree. */
  protocol::PeerIce ice;
  if (protocol::scan_peer_ice(text, ice)) {
    metrics_.count_received(Type::Peer);
    on_peer_ice(*peer, ice);
    return;
  }

  auto parsed = protocol::parse(text);
  if (!parsed.message) {
    metrics_.count_unparsed();
    send_error(*peer, ErrorCause::Malformed, parsed.error);
    return;
  }
  Message &msg = *parsed.message;
  metrics_.count_received(msg.type);

  if (msg.type == Type::SetProtocolVersion) {
    if (!first) {
      send_error(*peer, ErrorCause::Protocol,
          "setProtocolVersion is only valid as the first "
          "message");
      return;
    }
    peer->version = msg.version;
    out_.log(
        "peer " + peer->id + " speaks " + protocol::version_name(msg.version));
    return;
  }

  if (msg.type == Type::Peer) {
    on_peer(*peer, msg);
    return;
  }
  handle(*peer, msg);
}

void
Router::handle(Peer &peer, Message &msg) {
  switch (msg.type) {
    case Type::SetPeerStatus:
      on_set_peer_status(peer, msg);
      break;
    case Type::StartSession:
      on_start_session(peer, msg);
      break;
    case Type::EndSession:
      on_end_session(peer, msg);
      break;
    case Type::EndSessionV1_1:
      if (peer.version != protocol::Version::V1_1) {
        send_error(peer, ErrorCause::Protocol,
            "endSessionV1_1 needs protocol v1_1 (send "
            "setProtocolVersion first)");
        break;
      }
      on_end_session(peer, msg);
      break;
    case Type::List:
      on_list(peer, false);
      break;
    case Type::ListConsumers:
      on_list(peer, true);
      break;
    case Type::Error:
      /* Never answer an error with an error: that could loop forever. */
      out_.log("peer " + peer.id + " reported an error: " + msg.details);
      break;
    case Type::Welcome:
    case Type::PeerStatusChanged:
    case Type::SessionStarted:
      send_error(peer, ErrorCause::Protocol,
          std::string(protocol::type_name(msg.type))
              + " is sent by the server, not by peers");
      break;
    case Type::SetProtocolVersion:
    case Type::Peer:
      break; /* handled in receive() */
  }
}

bool
Router::claim_id(Peer &peer, const std::string &id, std::string &why) {
  if (!valid_peer_id(id, why))
    return false;
  Peer *holder = find_by_id(id);
  if (holder && holder != &peer) {
    why = "peer id \"" + id + "\" is already in use";
    return false;
  }
  if (holder == &peer)
    return true;
  if (!peer.sessions.empty()) {
    why = "cannot change peer id while in a session";
    return false;
  }
  if (peer.roles) {
    /* Listeners knew the old id: tell them it left. */
    protocol::Roles roles = peer.roles;
    peer.roles = 0;
    announce(peer);
    peer.roles = roles;
  }
  out_.log("peer " + peer.id + " is now " + id);
  by_id_.erase(peer.id);
  peer.id = id;
  by_id_[id] = &peer;
  return true;
}

void
Router::on_set_peer_status(Peer &peer, Message &msg) {
  if ((msg.roles & protocol::kProducer) && (msg.roles & protocol::kConsumer)) {
    send_error(peer, ErrorCause::Roles,
        "setPeerStatus: a peer cannot be producer and consumer "
        "at once");
    return;
  }
  std::string why;
  if (msg.has_peer_id && !claim_id(peer, msg.peer_id, why)) {
    send_error(peer, ErrorCause::PeerId, "setPeerStatus: " + why);
    return;
  }

  protocol::Roles old_roles = peer.roles;
  peer.roles = msg.roles;
  peer.meta = msg.meta;
  if (msg.roles & protocol::kListener)
    listeners_.insert(peer.conn);
  else
    listeners_.erase(peer.conn);

  out_.log("peer " + peer.id + " registered as " + roles_text(msg.roles));

  if ((old_roles & protocol::kProducer) && !(msg.roles & protocol::kProducer)) {
    std::vector<std::string> ended;
    for (const auto &sid : peer.sessions) {
      auto it = sessions_.find(sid);
      if (it != sessions_.end() && it->second->producer == peer.conn)
        ended.push_back(sid);
    }
    for (const auto &sid : ended)
      end_session(sid, &peer, std::string("producer unregistered"));
  }
  announce(peer);
}

void
Router::announce(const Peer &peer) {
  Message m;
  m.type = Type::PeerStatusChanged;
  m.peer_id = peer.id;
  m.has_peer_id = true;
  m.roles = peer.roles;
  m.meta = peer.meta;
  std::string text = protocol::serialize(m);
  for (ConnectionId conn : listeners_) {
    Peer *l = find_by_conn(conn);
    if (l && !l->closing) {
      metrics_.count_sent(Type::PeerStatusChanged);
      out_.send(conn, text);
    }
  }
}

void
Router::on_start_session(Peer &peer, Message &msg) {
  Peer *target = find_by_id(msg.peer_id);
  if (!target) {
    send_error(peer, ErrorCause::UnknownPeer,
        "startSession: no peer with id \"" + msg.peer_id + "\"");
    return;
  }
  if (target == &peer) {
    send_error(peer, ErrorCause::Protocol,
        "startSession: cannot start a session with yourself");
    return;
  }

  auto session = std::make_unique<Session>();
  if (target->roles & protocol::kProducer) {
    session->producer = target->conn;
    session->consumer = peer.conn;
  } else if ((target->roles & protocol::kConsumer)
             && (peer.roles & protocol::kProducer)) {
    if (msg.offer) {
      send_error(peer, ErrorCause::Protocol,
          "startSession: only a consumer may put an offer in "
          "startSession");
      return;
    }
    session->producer = peer.conn;
    session->consumer = target->conn;
  } else {
    send_error(peer, ErrorCause::Roles,
        "startSession: peer \"" + msg.peer_id + "\" is not a producer"
            + ((peer.roles & protocol::kProducer) ? " nor a listening consumer"
                                                  : ""));
    return;
  }

  do
    session->id = new_uuid();
  while (sessions_.count(session->id));
  std::string sid = session->id;
  peer.sessions.insert(sid);
  target->sessions.insert(sid);
  /* The new session's negotiation has its own allowance (RouterConfig). */
  peer.tokens += config_.flood_session_burst;
  target->tokens += config_.flood_session_burst;
  bool caller_produces = session->producer == peer.conn;
  sessions_[sid] = std::move(session);
  metrics_.sessions_started_total++;

  out_.log("session " + sid + " started: producer "
           + (caller_produces ? peer.id : target->id) + ", consumer "
           + (caller_produces ? target->id : peer.id));

  /* sessionStarted reaches the caller before the target can answer with
   * anything, as upstream clients expect. */
  Message started;
  started.type = Type::SessionStarted;
  started.peer_id = target->id;
  started.has_peer_id = true;
  started.session_id = sid;
  send(peer, started);

  Message start;
  start.type = Type::StartSession;
  start.peer_id = peer.id;
  start.has_peer_id = true;
  start.session_id = sid;
  start.offer = msg.offer;
  send(*target, start);
}

Router::Peer *
Router::session_partner(Peer &peer, const std::string &session_id) {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end() || !peer.sessions.count(session_id)) {
    send_error(peer, ErrorCause::NotInSession,
        "peer: you are not in session \"" + session_id + "\"");
    return nullptr;
  }
  Session &s = *it->second;
  /* Either side may offer: a new offer inside a started session is a
   * session restart (docs/protocol.md), which the consumer may start. */
  bool from_producer = s.producer == peer.conn;
  return find_by_conn(from_producer ? s.consumer : s.producer);
}

void
Router::on_peer(Peer &peer, Message &msg) {
  Peer *other = session_partner(peer, msg.session_id);
  if (!other)
    return;
  /* Re-serialise from the parsed payloads: the sdp and ice objects are
   * carried whole (sdpMid, usernameFragment, ... survive); unknown top-level
   * fields are dropped. */
  Message fwd;
  fwd.type = Type::Peer;
  fwd.session_id = msg.session_id;
  fwd.sdp = msg.sdp;
  fwd.ice = msg.ice;
  send(*other, fwd);
}

void
Router::on_peer_ice(Peer &peer, const protocol::PeerIce &ice) {
  /* The same rules as on_peer(); the ice object goes on as it came. */
  Peer *other = session_partner(peer, std::string(ice.session_id));
  if (other && !other->closing) {
    metrics_.count_sent(Type::Peer);
    out_.send(
        other->conn, protocol::serialize_peer_ice(ice.session_id, ice.ice));
  }
}

void
Router::on_end_session(Peer &peer, const Message &msg) {
  if (!peer.sessions.count(msg.session_id)) {
    auto &recent = peer.recently_ended;
    if (std::find(recent.begin(), recent.end(), msg.session_id) != recent.end())
      return; /* the echo of an endSession we delivered: nothing to do */
    send_error(peer, ErrorCause::NotInSession,
        "endSession: you are not in session \"" + msg.session_id + "\"");
    return;
  }
  end_session(msg.session_id, &peer, msg.reason);
}

void
Router::end_session(const std::string &session_id, const Peer *by,
    const std::optional<std::string> &reason) {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end())
    return;
  std::unique_ptr<Session> s = std::move(it->second);
  sessions_.erase(it);
  metrics_.sessions_ended_total++;

  out_.log("session " + session_id + " ended by " + (by ? by->id : "relay")
           + (reason ? " (" + *reason + ")" : ""));

  for (ConnectionId conn : {s->producer, s->consumer}) {
    Peer *p = find_by_conn(conn);
    if (!p)
      continue;
    p->sessions.erase(session_id);
    if (p == by)
      continue;
    p->recently_ended.push_back(session_id);
    if (p->recently_ended.size() > kRecentlyEnded)
      p->recently_ended.erase(p->recently_ended.begin());
    Message m;
    m.session_id = session_id;
    if (p->version == protocol::Version::V1_1) {
      m.type = Type::EndSessionV1_1;
      m.reason = reason;
    } else {
      m.type = Type::EndSession;
    }
    send(*p, m);
  }
}

void
Router::on_list(Peer &peer, bool consumers) {
  protocol::Role wanted = consumers ? protocol::kConsumer : protocol::kProducer;
  Message m;
  m.type = consumers ? Type::ListConsumers : Type::List;
  m.is_reply = true;
  for (const auto &entry : peers_) {
    const Peer &p = *entry.second;
    if ((p.roles & wanted) && !p.closing)
      m.peers.push_back({p.id, p.meta});
  }
  std::sort(m.peers.begin(), m.peers.end(),
      [](const auto &a, const auto &b) { return a.id < b.id; });
  send(peer, m);
}

void
Router::disconnect(ConnectionId conn) {
  auto it = peers_.find(conn);
  if (it == peers_.end())
    return;
  Peer &peer = *it->second;
  peer.closing = true;

  std::vector<std::string> sessions(peer.sessions.begin(), peer.sessions.end());
  for (const auto &sid : sessions)
    end_session(sid, &peer, std::string("peer disconnected"));

  listeners_.erase(conn);
  if (peer.roles) {
    peer.roles = 0;
    announce(peer);
  }
  out_.log("peer " + peer.id + " disconnected");
  by_id_.erase(peer.id);
  peers_.erase(it);
}

} // namespace gws::relay
