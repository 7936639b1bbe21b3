/* gst-webrtc-session: the selected ICE candidate pair (see
 * gws-candidate-stats.h). */
#include "gws-candidate-stats.h"

#include "gws-debug.h"
#include "gws-nice-api.h"
#include "gws-webrtcbin-events.h"

#include <memory>
#include <mutex>
#include <set>

GWS_DEBUG_CATEGORY(gws_candidates_debug, "gws-candidates",
    "selected ICE candidate pair for stats")
#define GST_CAT_DEFAULT gws_candidates_debug()

namespace gws {

namespace {

const char *const kRecordKey = "gws-candidate-pair";

struct PairInfo {
  bool selected = false;
  std::string local_type, remote_type, transport, tcp_type;
  std::string local_address, remote_address, relay_server, relay_protocol;
};

/* One per webrtcbin; shared by the webrtcbin (object data) and the signal
 * handler (its closure data), whichever goes last frees it. */
struct Record {
  std::vector<std::string> turn_servers; /* set before sharing, then const */
  std::mutex lock;                       /* guards info */
  PairInfo info;
};

using RecordRef = std::shared_ptr<Record>;

void
free_ref(gpointer data, GClosure * = nullptr) {
  delete static_cast<RecordRef *>(data);
}

const char *
type_name(NiceCandidateType t) {
  switch (t) {
    case NICE_CANDIDATE_TYPE_HOST:
      return "host";
    case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE:
      return "srflx";
    case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE:
      return "prflx";
    case NICE_CANDIDATE_TYPE_RELAYED:
      return "relay";
  }
  return "unknown";
}

const char *
tcp_type_name(NiceCandidateTransport t) {
  switch (t) {
    case NICE_CANDIDATE_TRANSPORT_TCP_ACTIVE:
      return "active";
    case NICE_CANDIDATE_TRANSPORT_TCP_PASSIVE:
      return "passive";
    case NICE_CANDIDATE_TRANSPORT_TCP_SO:
      return "so";
    default:
      return "";
  }
}

std::string
address_string(const NiceAddress *addr) {
  gchar ip[NICE_ADDRESS_STRING_LEN];
  nice_api()->address_to_string(addr, ip);
  return std::string(ip) + ":"
         + std::to_string(nice_api()->address_get_port(addr));
}

/* The relay protocol of the TURN server at @server among @urls. */
std::string
relay_protocol_of(
    const std::vector<std::string> &urls, const NiceAddress &server) {
  gchar ip[NICE_ADDRESS_STRING_LEN];
  nice_api()->address_to_string(&server, ip);
  guint port = nice_api()->address_get_port(&server);
  std::set<std::string> matching, all;
  for (const auto &url : urls) {
    std::string host;
    guint p = 0;
    std::string proto = turn_url_protocol(url, &host, &p);
    if (proto.empty())
      continue;
    all.insert(proto);
    if (host == ip && p == port)
      matching.insert(proto);
  }
  /* A server named by host name: its address is not in the URL. */
  const std::set<std::string> &pick = matching.empty() ? all : matching;
  if (pick.size() != 1)
    return "";
  /* libnice 0.1.21 (RFC 5245 mode) has no TLS client: it reaches a
   * turns:// server over plain TCP (measured, tests/netcond turn-tls). */
  return *pick.begin() == "tls" ? "tcp" : *pick.begin();
}

/* libnice's thread. The candidates are copies without their TURN server
 * (nice_candidate_copy() drops it), so for a relayed one the server comes
 * from the agent's own selected candidate, read here at once (as
 * webrtcbin's get_selected_pair does: libnice has no other way). */
void
on_selected_pair(NiceAgent *agent, guint stream, guint component,
    NiceCandidate *local, NiceCandidate *remote, gpointer data) {
  if (component != NICE_COMPONENT_TYPE_RTP || !local || !remote)
    return;
  Record &rec = **static_cast<RecordRef *>(data);
  PairInfo info;
  info.selected = true;
  info.local_type = type_name(local->type);
  info.remote_type = type_name(remote->type);
  info.transport
      = local->transport == NICE_CANDIDATE_TRANSPORT_UDP ? "udp" : "tcp";
  info.tcp_type = tcp_type_name(local->transport);
  info.local_address = address_string(&local->addr);
  info.remote_address = address_string(&remote->addr);
  NiceCandidate *own_local = nullptr, *own_remote = nullptr;
  if (local->type == NICE_CANDIDATE_TYPE_RELAYED
      && nice_api()->agent_get_selected_pair(
          agent, stream, component, &own_local, &own_remote)
      && own_local && own_local->type == NICE_CANDIDATE_TYPE_RELAYED
      && nice_api()->address_equal(&own_local->addr, &local->addr)) {
    NiceAddress server;
    nice_api()->address_init(&server);
    nice_api()->candidate_relay_address(own_local, &server);
    info.relay_server = address_string(&server);
    info.relay_protocol = relay_protocol_of(rec.turn_servers, server);
  }
  GST_DEBUG_OBJECT(agent, "selected pair %s %s (%s) -> %s %s%s%s",
      info.local_type.c_str(), info.local_address.c_str(),
      info.transport.c_str(), info.remote_type.c_str(),
      info.remote_address.c_str(),
      info.relay_server.empty() ? "" : " via TURN ", info.relay_server.c_str());
  std::lock_guard<std::mutex> g(rec.lock);
  rec.info = std::move(info);
}

} // namespace

std::string
turn_url_protocol(const std::string &url, std::string *host, guint *port) {
  GUri *uri = g_uri_parse(url.c_str(), G_URI_FLAGS_NONE, nullptr);
  if (!uri)
    return "";
  std::string scheme = g_uri_get_scheme(uri) ? g_uri_get_scheme(uri) : "";
  for (auto &c : scheme)
    c = g_ascii_tolower(c);
  std::string proto;
  if (scheme == "turns") {
    proto = "tls";
  } else if (scheme == "turn") {
    proto = "udp";
    const char *query = g_uri_get_query(uri);
    if (query) {
      GHashTable *params = g_uri_parse_params(
          query, -1, "&", G_URI_PARAMS_CASE_INSENSITIVE, nullptr);
      const char *t = params ? static_cast<const char *>(
                          g_hash_table_lookup(params, "transport"))
                             : nullptr;
      if (t && g_ascii_strcasecmp(t, "tcp") == 0)
        proto = "tcp";
      if (params)
        g_hash_table_unref(params);
    }
  }
  if (!proto.empty()) {
    if (host)
      *host = g_uri_get_host(uri) ? g_uri_get_host(uri) : "";
    if (port) {
      gint p = g_uri_get_port(uri);
      *port = p > 0 ? guint(p) : (proto == "tls" ? 5349u : 3478u);
    }
  }
  g_uri_unref(uri);
  return proto;
}

void
candidate_stats_watch(GstElement *webrtcbin, GObject *agent,
    const std::vector<std::string> &turn_servers) {
  if (!webrtcbin || !agent || !is_nice_agent(agent))
    return;
  auto rec = std::make_shared<Record>();
  rec->turn_servers = turn_servers;
  g_object_set_data_full(G_OBJECT(webrtcbin), kRecordKey, new RecordRef(rec),
      [](gpointer p) { free_ref(p); });
  g_signal_connect_data(agent, "new-selected-pair-full",
      G_CALLBACK(on_selected_pair), new RecordRef(rec), free_ref,
      GConnectFlags(0));
}

void
candidate_stats_to_structure(GstElement *webrtcbin, GstStructure *s) {
  PairInfo info;
  auto *ref = webrtcbin ? static_cast<RecordRef *>(
                  g_object_get_data(G_OBJECT(webrtcbin), kRecordKey))
                        : nullptr;
  if (ref) {
    std::lock_guard<std::mutex> g((*ref)->lock);
    info = (*ref)->info;
  }
  if (!info.selected) {
    gst_structure_set(s, "local-candidate-type", G_TYPE_STRING, "none",
        "remote-candidate-type", G_TYPE_STRING, "none", "transport",
        G_TYPE_STRING, "none", nullptr);
    return;
  }
  gst_structure_set(s, "local-candidate-type", G_TYPE_STRING,
      info.local_type.c_str(), "remote-candidate-type", G_TYPE_STRING,
      info.remote_type.c_str(), "transport", G_TYPE_STRING,
      info.transport.c_str(), "local-address", G_TYPE_STRING,
      info.local_address.c_str(), "remote-address", G_TYPE_STRING,
      info.remote_address.c_str(), nullptr);
  if (!info.tcp_type.empty())
    gst_structure_set(
        s, "tcp-type", G_TYPE_STRING, info.tcp_type.c_str(), nullptr);
  if (!info.relay_server.empty())
    gst_structure_set(
        s, "relay-server", G_TYPE_STRING, info.relay_server.c_str(), nullptr);
  if (!info.relay_protocol.empty())
    gst_structure_set(s, "relay-protocol", G_TYPE_STRING,
        info.relay_protocol.c_str(), nullptr);
}

} // namespace gws
