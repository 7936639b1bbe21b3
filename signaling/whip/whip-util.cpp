/* gst-webrtc-session: WHIP/WHEP helpers (see whip-util.h). */
#include "whip-util.h"

#include <algorithm>
#include <map>
#include <sstream>

namespace gws {
namespace whip {

namespace {

std::vector<std::string>
split_lines(const std::string &text) {
  std::vector<std::string> lines;
  std::string line;
  std::istringstream in(text);
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

std::vector<std::string>
split_ws(const std::string &s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string tok;
  while (in >> tok)
    out.push_back(tok);
  return out;
}

bool
all_digits(const std::string &s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return g_ascii_isdigit(c);
  });
}

bool
starts_with(const std::string &s, const char *prefix) {
  return s.compare(0, strlen(prefix), prefix) == 0;
}

std::string
trim(const std::string &s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos)
    return "";
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

/* "candidate:<foundation> <component> <transport> <priority> <address>
 * <port> typ <type> ..." (RFC 8839). */
bool
valid_candidate(const std::string &value) {
  if (!starts_with(value, "candidate:"))
    return false;
  auto tok = split_ws(value.substr(strlen("candidate:")));
  if (tok.size() < 7)
    return false;
  return !tok[0].empty() && all_digits(tok[1]) && all_digits(tok[3])
         && !tok[4].empty() && all_digits(tok[5]) && tok[6] == "typ"
         && tok.size() >= 8;
}

const gchar *
media_attr(const GstSDPMedia *media, const char *key) {
  return media ? gst_sdp_media_get_attribute_val(media, key) : nullptr;
}

} // namespace

bool
parse_sdpfrag(const std::string &text, SdpFrag &frag, std::string &error) {
  frag = SdpFrag();
  int mline = -1;
  std::string mid;
  bool any = false;
  for (const std::string &line : split_lines(text)) {
    if (line.empty())
      continue;
    if (line.size() < 2 || !g_ascii_isalpha(line[0]) || line[1] != '=') {
      error = "not an SDP line: \"" + short_reason(line) + "\"";
      return false;
    }
    any = true;
    if (line[0] == 'm') {
      mline++;
      mid.clear();
      continue;
    }
    if (line[0] != 'a')
      continue; /* c=, b=, ... carry nothing for trickle */
    std::string attr = line.substr(2);
    if (starts_with(attr, "ice-ufrag:")) {
      frag.ufrag = trim(attr.substr(strlen("ice-ufrag:")));
    } else if (starts_with(attr, "ice-pwd:")) {
      frag.pwd = trim(attr.substr(strlen("ice-pwd:")));
    } else if (starts_with(attr, "mid:")) {
      mid = trim(attr.substr(strlen("mid:")));
    } else if (attr == "end-of-candidates") {
      frag.end_of_candidates = true;
    } else if (starts_with(attr, "candidate:")) {
      std::string value = trim(attr);
      if (!valid_candidate(value)) {
        error = "malformed candidate line: \"" + short_reason(line) + "\"";
        return false;
      }
      frag.candidates.push_back(
          Candidate{static_cast<guint>(std::max(mline, 0)), mid, value});
    }
  }
  if (!any) {
    error = "the fragment has no SDP lines";
    return false;
  }
  /* A candidate listed before its section's a=mid line gets the mid too. */
  return true;
}

std::string
sdp_ufrag(const GstSDPMessage *sdp) {
  const gchar *v = gst_sdp_message_get_attribute_val(sdp, "ice-ufrag");
  for (guint i = 0; !v && i < gst_sdp_message_medias_len(sdp); i++)
    v = media_attr(gst_sdp_message_get_media(sdp, i), "ice-ufrag");
  return v ? v : "";
}

static std::string
sdp_pwd(const GstSDPMessage *sdp) {
  const gchar *v = gst_sdp_message_get_attribute_val(sdp, "ice-pwd");
  for (guint i = 0; !v && i < gst_sdp_message_medias_len(sdp); i++)
    v = media_attr(gst_sdp_message_get_media(sdp, i), "ice-pwd");
  return v ? v : "";
}

int
sdp_mline_for_mid(const GstSDPMessage *sdp, const std::string &mid) {
  for (guint i = 0; i < gst_sdp_message_medias_len(sdp); i++) {
    const gchar *m = media_attr(gst_sdp_message_get_media(sdp, i), "mid");
    if (m && mid == m)
      return static_cast<int>(i);
  }
  return -1;
}

std::string
build_sdpfrag(const GstSDPMessage *local,
    const std::vector<Candidate> &candidates, bool end) {
  std::map<guint, std::vector<const Candidate *>> by_mline;
  for (const auto &c : candidates)
    by_mline[c.mline].push_back(&c);
  if (by_mline.empty())
    by_mline[0] = {};

  std::string ufrag = sdp_ufrag(local);
  std::string pwd = sdp_pwd(local);
  std::string out;
  for (const auto &[index, list] : by_mline) {
    const GstSDPMedia *media = index < gst_sdp_message_medias_len(local)
                                   ? gst_sdp_message_get_media(local, index)
                                   : nullptr;
    if (media) {
      out += std::string("m=") + gst_sdp_media_get_media(media) + " 9 "
             + gst_sdp_media_get_proto(media);
      for (guint f = 0; f < gst_sdp_media_formats_len(media); f++)
        out += std::string(" ") + gst_sdp_media_get_format(media, f);
      out += "\r\n";
      if (const gchar *mid = media_attr(media, "mid"))
        out += std::string("a=mid:") + mid + "\r\n";
    }
    if (!ufrag.empty())
      out += "a=ice-ufrag:" + ufrag + "\r\n";
    if (!pwd.empty())
      out += "a=ice-pwd:" + pwd + "\r\n";
    for (const Candidate *c : list)
      out += "a=" + c->candidate + "\r\n";
    if (end)
      out += "a=end-of-candidates\r\n";
  }
  return out;
}

GstSDPMessage *
sdp_with_candidates(const GstSDPMessage *sdp,
    const std::vector<Candidate> &candidates, bool end) {
  GstSDPMessage *copy = nullptr;
  gst_sdp_message_copy(sdp, &copy);
  guint n = gst_sdp_message_medias_len(copy);
  for (const auto &c : candidates) {
    if (c.mline >= n)
      continue;
    auto *media
        = const_cast<GstSDPMedia *>(gst_sdp_message_get_media(copy, c.mline));
    std::string value = c.candidate.substr(strlen("candidate:"));
    if (!starts_with(c.candidate, "candidate:"))
      continue;
    gst_sdp_media_add_attribute(media, "candidate", value.c_str());
  }
  if (end) {
    for (guint i = 0; i < n; i++) {
      auto *media
          = const_cast<GstSDPMedia *>(gst_sdp_message_get_media(copy, i));
      gst_sdp_media_add_attribute(media, "end-of-candidates", nullptr);
    }
  }
  return copy;
}

GstSDPMessage *
parse_sdp(const std::string &text, std::string &error) {
  size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string::npos || text.compare(start, 3, "v=0") != 0) {
    error = "the body is not an SDP session description (no \"v=0\" line)";
    return nullptr;
  }
  GstSDPMessage *msg = nullptr;
  gst_sdp_message_new(&msg);
  if (gst_sdp_message_parse_buffer(
          reinterpret_cast<const guint8 *>(text.data()), text.size(), msg)
          != GST_SDP_OK
      || gst_sdp_message_medias_len(msg) == 0) {
    gst_sdp_message_free(msg);
    error = "the SDP has no media lines";
    return nullptr;
  }
  return msg;
}

std::string
sdp_to_text(const GstSDPMessage *sdp) {
  g_autofree gchar *text = gst_sdp_message_as_text(sdp);
  return text ? text : "";
}

/* ---- Link headers ---- */

std::string
IceServer::gst_url() const {
  std::string scheme, rest;
  size_t colon = url.find(':');
  if (colon == std::string::npos)
    return "";
  {
    g_autofree gchar *lower = g_ascii_strdown(url.substr(0, colon).c_str(), -1);
    scheme = lower;
  }
  rest = url.substr(colon + 1);
  while (starts_with(rest, "/"))
    rest.erase(0, 1);
  if (scheme == "stun" || scheme == "stuns")
    return scheme + "://" + rest;
  if (scheme != "turn" && scheme != "turns")
    return "";
  std::string userinfo;
  if (!username.empty() || !credential.empty()) {
    g_autofree gchar *u = g_uri_escape_string(username.c_str(), nullptr, FALSE);
    g_autofree gchar *p
        = g_uri_escape_string(credential.c_str(), nullptr, FALSE);
    userinfo = std::string(u) + ":" + p + "@";
  }
  return scheme + "://" + userinfo + rest;
}

namespace {

/* Splits a header value on @sep outside <...> and "...". */
std::vector<std::string>
split_outside(const std::string &value, char sep) {
  std::vector<std::string> out;
  std::string cur;
  bool in_angle = false, in_quote = false;
  for (size_t i = 0; i < value.size(); i++) {
    char c = value[i];
    if (in_quote) {
      cur += c;
      if (c == '\\' && i + 1 < value.size())
        cur += value[++i];
      else if (c == '"')
        in_quote = false;
      continue;
    }
    if (c == '"')
      in_quote = true;
    else if (c == '<')
      in_angle = true;
    else if (c == '>')
      in_angle = false;
    if (c == sep && !in_angle) {
      out.push_back(cur);
      cur.clear();
      continue;
    }
    cur += c;
  }
  out.push_back(cur);
  return out;
}

std::string
unquote(const std::string &s) {
  std::string t = trim(s);
  if (t.size() >= 2 && t.front() == '"' && t.back() == '"') {
    std::string out;
    for (size_t i = 1; i + 1 < t.size(); i++) {
      if (t[i] == '\\' && i + 2 < t.size())
        i++;
      out += t[i];
    }
    return out;
  }
  return t;
}

std::string
quote(const std::string &s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

} // namespace

std::vector<IceServer>
parse_link_ice_servers(const std::string &value) {
  std::vector<IceServer> out;
  for (const std::string &entry : split_outside(value, ',')) {
    auto parts = split_outside(entry, ';');
    std::string target = trim(parts[0]);
    if (target.size() < 2 || target.front() != '<' || target.back() != '>')
      continue;
    IceServer server;
    server.url = target.substr(1, target.size() - 2);
    bool ice = false;
    for (size_t i = 1; i < parts.size(); i++) {
      size_t eq = parts[i].find('=');
      if (eq == std::string::npos)
        continue;
      g_autofree gchar *key
          = g_ascii_strdown(trim(parts[i].substr(0, eq)).c_str(), -1);
      std::string val = unquote(parts[i].substr(eq + 1));
      if (g_strcmp0(key, "rel") == 0) {
        for (const auto &rel : split_ws(val))
          if (g_ascii_strcasecmp(rel.c_str(), "ice-server") == 0)
            ice = true;
      } else if (g_strcmp0(key, "username") == 0) {
        server.username = val;
      } else if (g_strcmp0(key, "credential") == 0) {
        server.credential = val;
      }
    }
    if (ice)
      out.push_back(server);
  }
  return out;
}

std::string
format_link_ice_server(const IceServer &server) {
  std::string out = "<" + server.url + ">; rel=\"ice-server\"";
  if (!server.username.empty())
    out += "; username=" + quote(server.username);
  if (!server.credential.empty())
    out += "; credential=" + quote(server.credential)
           + "; credential-type=\"password\"";
  return out;
}

bool
ice_server_from_gst_url(const std::string &url, IceServer &server) {
  g_autoptr(GUri) uri
      = g_uri_parse(url.c_str(), G_URI_FLAGS_HAS_PASSWORD, nullptr);
  if (!uri || !g_uri_get_host(uri))
    return false;
  g_autofree gchar *scheme = g_ascii_strdown(g_uri_get_scheme(uri), -1);
  std::string s = scheme;
  if (s != "stun" && s != "stuns" && s != "turn" && s != "turns")
    return false;
  server = IceServer();
  server.url = s + ":" + g_uri_get_host(uri);
  if (g_uri_get_port(uri) > 0)
    server.url += ":" + std::to_string(g_uri_get_port(uri));
  if (g_uri_get_query(uri))
    server.url += std::string("?") + g_uri_get_query(uri);
  if (g_uri_get_user(uri))
    server.username = g_uri_get_user(uri);
  if (g_uri_get_password(uri))
    server.credential = g_uri_get_password(uri);
  return true;
}

std::string
media_type(const char *content_type) {
  if (!content_type)
    return "";
  std::string s = content_type;
  size_t semi = s.find(';');
  if (semi != std::string::npos)
    s.resize(semi);
  g_autofree gchar *lower = g_ascii_strdown(trim(s).c_str(), -1);
  return lower;
}

std::string
resolve_url(const std::string &base, const std::string &ref) {
  g_autoptr(GError) error = nullptr;
  g_autofree gchar *out = g_uri_resolve_relative(
      base.c_str(), ref.c_str(), G_URI_FLAGS_NONE, &error);
  return out ? out : "";
}

bool
same_origin(const std::string &a, const std::string &b) {
  g_autoptr(GUri) ua = g_uri_parse(a.c_str(), G_URI_FLAGS_NONE, nullptr);
  g_autoptr(GUri) ub = g_uri_parse(b.c_str(), G_URI_FLAGS_NONE, nullptr);
  if (!ua || !ub)
    return false;
  auto port = [](GUri *u) {
    gint p = g_uri_get_port(u);
    if (p != -1)
      return p;
    return g_ascii_strcasecmp(g_uri_get_scheme(u), "https") == 0 ? 443 : 80;
  };
  return g_ascii_strcasecmp(g_uri_get_scheme(ua), g_uri_get_scheme(ub)) == 0
         && g_ascii_strcasecmp(g_uri_get_host(ua) ? g_uri_get_host(ua) : "",
                g_uri_get_host(ub) ? g_uri_get_host(ub) : "")
                == 0
         && port(ua) == port(ub);
}

std::string
short_reason(const std::string &body) {
  std::string out;
  for (char c : body) {
    if (c == '\r')
      continue;
    out += (c == '\n' || c == '\t') ? ' ' : c;
  }
  out = trim(out);
  if (out.size() > 200)
    out = out.substr(0, 197) + "...";
  return out;
}

} // namespace whip
} // namespace gws
