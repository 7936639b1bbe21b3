/* gst-webrtc-session: which ICE candidate pair carries a connection, for
 * `stats` (issue 11: NAT traversal).
 *
 * webrtcbin 1.22 can say it through `get-stats` (a promise answered on its
 * own thread) or gst_webrtc_ice_get_selected_pair(), but the latter reads
 * libnice's candidates after the agent's lock is gone and names the relay
 * protocol from the single `turn-server` property only (wrong for servers
 * added with `add-turn-server`, as both elements do). So each webrtcbin's
 * NiceAgent is watched instead: its `new-selected-pair-full` signal copies
 * what `stats` shows into a small record attached to the webrtcbin, and
 * the `stats` getter reads that record.
 *
 * Threading: the signal handler runs on libnice's thread (webrtcbin's ICE
 * context); candidate_stats_to_structure() on the `stats` caller's thread
 * (read_element_stats, gws-stats-snapshot.h), and
 * never waits for the session thread or webrtcbin. A mutex inside the
 * record guards its fields; nothing is called with it held. */
#pragma once

#include <gst/gst.h>

#include <string>
#include <vector>

namespace gws {

/* Watches @agent (a NiceAgent, webrtcbin's `ice-agent` -> `agent`) for the
 * selected pair and attaches the record to @webrtcbin. @turn_servers are
 * the TURN URLs given to the webrtcbin, used to tell the relay protocol of
 * a relayed local candidate from its server's address. Call once, right
 * after making the webrtcbin. */
void candidate_stats_watch(GstElement *webrtcbin, GObject *agent,
    const std::vector<std::string> &turn_servers);

/* Sets into @s the selected pair of @webrtcbin (nullptr: none):
 * `local-candidate-type`, `remote-candidate-type` (host, srflx, prflx,
 * relay; "none" before a pair is selected), `transport` (udp, tcp; "none"),
 * `local-address`, `remote-address` ("ip:port"), for a TCP pair
 * `tcp-type` (active, passive, so), and for a relayed local candidate
 * `relay-server` ("ip:port") and `relay-protocol` (how this side reaches
 * its TURN server: udp or tcp; tcp for turns:// too, which libnice 0.1.21
 * speaks without TLS; absent when the configured URLs do not tell, e.g.
 * two with the server's address and different transports). */
void candidate_stats_to_structure(GstElement *webrtcbin, GstStructure *s);

/* The relay protocol a TURN URL in webrtcbin's form means: "tls" for
 * turns://, "tcp" for turn://...?transport=tcp, "udp" otherwise; empty for
 * what is not a TURN URL. Also gives the server's host and port (default
 * 3478, 5349 for turns://). */
std::string turn_url_protocol(
    const std::string &url, std::string *host = nullptr, guint *port = nullptr);

} // namespace gws
