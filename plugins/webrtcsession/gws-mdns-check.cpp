/* gst-webrtc-session: mDNS candidates (see gws-mdns-check.h). */
#include "gws-mdns-check.h"

#include <gst/sdp/sdp.h>

#include <memory>
#include <mutex>
#include <set>
#include <string>

namespace gws {

namespace {

/* Whether getaddrinfo() (webrtcbin's resolver) can resolve .local names:
 * an mdns module on the "hosts:" line of /etc/nsswitch.conf. Read once. */
bool
system_resolves_mdns() {
  static gsize done = 0;
  static bool resolves = false;
  if (g_once_init_enter(&done)) {
    gchar *text = nullptr;
    if (g_file_get_contents("/etc/nsswitch.conf", &text, nullptr, nullptr)) {
      gchar **lines = g_strsplit(text, "\n", -1);
      for (guint i = 0; lines[i]; i++) {
        const gchar *l = g_strstrip(lines[i]);
        if (g_str_has_prefix(l, "hosts:") && strstr(l, "mdns"))
          resolves = true;
      }
      g_strfreev(lines);
      g_free(text);
    }
    g_once_init_leave(&done, 1);
  }
  return resolves;
}

struct State {
  GstElement *element; /* not owned: it owns the callbacks */
  std::mutex lock;     /* leaf; guards warned */
  std::set<std::string> warned;
};

void
check(State &st, const std::string &session, const std::string &name) {
  if (system_resolves_mdns())
    return;
  {
    std::lock_guard<std::mutex> g(st.lock);
    if (st.warned.size() > 1000)
      st.warned.clear();
    if (!st.warned.insert(session).second)
      return;
  }
  GST_ELEMENT_WARNING(st.element, RESOURCE, NOT_FOUND,
      ("session %s: the peer hides its ICE host addresses behind mDNS names "
       "(%s), and this machine cannot resolve .local names: unless the peer "
       "also sends candidates with addresses, the session will not connect. "
       "A Chromium page shows its addresses once it has camera or "
       "microphone permission, or when started with "
       "--disable-features=WebRtcHideLocalIpsWithMdns; or install an mDNS "
       "resolver here (avahi-daemon and libnss-mdns)",
          session.c_str(), name.c_str()),
      (nullptr));
}

void
check_description(State &st, const std::string &session, const DescPtr &desc) {
  if (!desc || !desc->sdp)
    return;
  for (guint i = 0; i < gst_sdp_message_medias_len(desc->sdp); i++) {
    const GstSDPMedia *m = gst_sdp_message_get_media(desc->sdp, i);
    for (guint a = 0; a < gst_sdp_media_attributes_len(m); a++) {
      const GstSDPAttribute *attr = gst_sdp_media_get_attribute(m, a);
      std::string name;
      if (g_strcmp0(attr->key, "candidate") == 0 && attr->value
          && candidate_is_mdns(attr->value, &name)) {
        check(st, session, name);
        return;
      }
    }
  }
}

} // namespace

bool
candidate_is_mdns(const std::string &candidate, std::string *name) {
  const char *c = candidate.c_str();
  if (g_str_has_prefix(c, "a="))
    c += 2;
  if (g_str_has_prefix(c, "candidate:"))
    c += strlen("candidate:");
  gchar **parts = g_strsplit_set(c, " \t", -1);
  bool found = false;
  /* foundation component transport priority ADDRESS port typ ... */
  guint n = 0, field = 0;
  for (; parts[n]; n++) {
    if (!*parts[n])
      continue;
    if (field++ == 4) {
      gchar *lower = g_ascii_strdown(parts[n], -1);
      found = g_str_has_suffix(lower, ".local");
      g_free(lower);
      if (found && name)
        *name = parts[n];
      break;
    }
  }
  g_strfreev(parts);
  return found;
}

void
watch_mdns_candidates(SignallerCallbacks &cb, GstElement *element) {
  auto st = std::make_shared<State>();
  st->element = element;
  auto ice = cb.handle_ice;
  cb.handle_ice = [st, ice](std::string id, guint mline, std::string cand) {
    std::string name;
    if (candidate_is_mdns(cand, &name))
      check(*st, id, name);
    if (ice)
      ice(std::move(id), mline, std::move(cand));
  };
  auto desc = cb.session_description;
  cb.session_description = [st, desc](std::string id, DescPtr d) {
    check_description(*st, id, d);
    if (desc)
      desc(std::move(id), std::move(d));
  };
  auto requested = cb.session_requested;
  cb.session_requested
      = [st, requested](std::string id, std::string peer, DescPtr offer) {
          check_description(*st, id, offer);
          if (requested)
            requested(std::move(id), std::move(peer), std::move(offer));
        };
}

} // namespace gws
