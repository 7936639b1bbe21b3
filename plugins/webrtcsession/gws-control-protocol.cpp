/* gst-webrtc-session: the control data channel's protocol (see
 * gws-control-protocol.h). */
#include "gws-control-protocol.h"

#include <gst/video/navigation.h>
#include <gst/video/video-enumtypes.h>
#include <json-glib/json-glib.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <set>
#include <utility>

namespace gws {

namespace {

/* The client's names (Rust serde names) and GStreamer's. */
struct NavName {
  const char *upstream;
  const char *gst;
  GstNavigationEventType type;
};

const NavName kNavNames[] = {
    {"MouseMove", "mouse-move", GST_NAVIGATION_EVENT_MOUSE_MOVE},
    {"MouseButtonPress", "mouse-button-press",
        GST_NAVIGATION_EVENT_MOUSE_BUTTON_PRESS},
    {"MouseButtonRelease", "mouse-button-release",
        GST_NAVIGATION_EVENT_MOUSE_BUTTON_RELEASE},
    {"MouseScroll", "mouse-scroll", GST_NAVIGATION_EVENT_MOUSE_SCROLL},
    {"KeyPress", "key-press", GST_NAVIGATION_EVENT_KEY_PRESS},
    {"KeyRelease", "key-release", GST_NAVIGATION_EVENT_KEY_RELEASE},
    {"TouchDown", "touch-down", GST_NAVIGATION_EVENT_TOUCH_DOWN},
    {"TouchMotion", "touch-motion", GST_NAVIGATION_EVENT_TOUCH_MOTION},
    {"TouchUp", "touch-up", GST_NAVIGATION_EVENT_TOUCH_UP},
    {"TouchFrame", "touch-frame", GST_NAVIGATION_EVENT_TOUCH_FRAME},
    {"TouchCancel", "touch-cancel", GST_NAVIGATION_EVENT_TOUCH_CANCEL},
};

const NavName *
nav_by_name(const char *name) {
  for (const auto &n : kNavNames) {
    if (g_strcmp0(name, n.upstream) == 0 || g_strcmp0(name, n.gst) == 0)
      return &n;
  }
  return nullptr;
}

const NavName *
nav_by_type(GstNavigationEventType type) {
  for (const auto &n : kNavNames) {
    if (n.type == type)
      return &n;
  }
  return nullptr;
}

bool
get_number(JsonObject *o, const char *name, double *out) {
  JsonNode *n = json_object_get_member(o, name);
  if (!n || !JSON_NODE_HOLDS_VALUE(n))
    return false;
  GType t = json_node_get_value_type(n);
  if (t == G_TYPE_INT64)
    *out = static_cast<double>(json_node_get_int(n));
  else if (t == G_TYPE_DOUBLE)
    *out = json_node_get_double(n);
  else
    return false;
  /* json-glib reads 1e999 as infinity. */
  return std::isfinite(*out);
}

/* A number member that is a whole number within [lo, hi] (a peer's
 * 1e300 or -1 must not reach a cast to an integer type: undefined). */
bool
get_integer(
    JsonObject *o, const char *name, double lo, double hi, gint64 *out) {
  double d = 0;
  if (!get_number(o, name, &d) || d < lo || d > hi)
    return false;
  *out = static_cast<gint64>(d);
  return true;
}

const char *
get_string(JsonObject *o, const char *name) {
  JsonNode *n = json_object_get_member(o, name);
  if (!n || !JSON_NODE_HOLDS_VALUE(n)
      || json_node_get_value_type(n) != G_TYPE_STRING)
    return nullptr;
  return json_node_get_string(n);
}

/* "shift-mask+button1-mask" (the client's form) or a number. Unknown nicks
 * are ignored: a newer client may know more modifiers. */
GstNavigationModifierType
parse_modifiers(JsonObject *o) {
  gint64 num = 0;
  if (get_integer(o, "modifier_state", 0, G_MAXUINT, &num))
    return static_cast<GstNavigationModifierType>(static_cast<guint>(num));
  const char *text = get_string(o, "modifier_state");
  if (!text)
    return GST_NAVIGATION_MODIFIER_NONE;
  auto *klass = static_cast<GFlagsClass *>(
      g_type_class_ref(GST_TYPE_NAVIGATION_MODIFIER_TYPE));
  guint flags = 0;
  gchar **parts = g_strsplit(text, "+", -1);
  for (gchar **p = parts; *p; p++) {
    g_strstrip(*p);
    GFlagsValue *v = g_flags_get_value_by_nick(klass, *p);
    if (v)
      flags |= v->value;
  }
  g_strfreev(parts);
  g_type_class_unref(klass);
  return static_cast<GstNavigationModifierType>(flags);
}

std::string
modifiers_text(GstNavigationModifierType state) {
  auto *klass = static_cast<GFlagsClass *>(
      g_type_class_ref(GST_TYPE_NAVIGATION_MODIFIER_TYPE));
  std::string out;
  for (guint i = 0; i < klass->n_values; i++) {
    const GFlagsValue &v = klass->values[i];
    if (v.value == 0 || (state & v.value) != v.value)
      continue;
    if (!out.empty())
      out += "+";
    out += v.value_nick;
  }
  g_type_class_unref(klass);
  return out;
}

GstEvent *
navigation_from_json(JsonObject *o, std::string *error) {
  const char *name = get_string(o, "event");
  const NavName *nav = nav_by_name(name);
  if (!nav) {
    *error = name ? std::string("unknown navigation event \"") + name + "\""
                  : "navigation event without an \"event\" name";
    return nullptr;
  }
  GstNavigationModifierType state = parse_modifiers(o);
  double x = 0, y = 0, dx = 0, dy = 0;
  double pressure = 1.0;
  gint64 button = 0, ident = 0;
  bool has_xy = get_number(o, "x", &x) && get_number(o, "y", &y);
  get_number(o, "delta_x", &dx);
  get_number(o, "delta_y", &dy);
  get_number(o, "pressure", &pressure);
  bool has_button = get_integer(o, "button", G_MININT, G_MAXINT, &button);
  bool has_ident = get_integer(o, "identifier", 0, G_MAXUINT, &ident);
  const char *key = get_string(o, "key");
  auto need = [&](bool ok, const char *what) {
    if (!ok)
      *error = std::string(nav->upstream) + " needs " + what;
    return ok;
  };
  switch (nav->type) {
    case GST_NAVIGATION_EVENT_MOUSE_MOVE:
      if (!need(has_xy, "x and y"))
        return nullptr;
      return gst_navigation_event_new_mouse_move(x, y, state);
    case GST_NAVIGATION_EVENT_MOUSE_BUTTON_PRESS:
    case GST_NAVIGATION_EVENT_MOUSE_BUTTON_RELEASE:
      if (!need(has_xy && has_button, "x, y and button"))
        return nullptr;
      return nav->type == GST_NAVIGATION_EVENT_MOUSE_BUTTON_PRESS
                 ? gst_navigation_event_new_mouse_button_press(
                     static_cast<gint>(button), x, y, state)
                 : gst_navigation_event_new_mouse_button_release(
                     static_cast<gint>(button), x, y, state);
    case GST_NAVIGATION_EVENT_MOUSE_SCROLL:
      if (!need(has_xy, "x and y"))
        return nullptr;
      return gst_navigation_event_new_mouse_scroll(x, y, dx, dy, state);
    case GST_NAVIGATION_EVENT_KEY_PRESS:
    case GST_NAVIGATION_EVENT_KEY_RELEASE:
      if (!need(key != nullptr, "a key"))
        return nullptr;
      return nav->type == GST_NAVIGATION_EVENT_KEY_PRESS
                 ? gst_navigation_event_new_key_press(key, state)
                 : gst_navigation_event_new_key_release(key, state);
    case GST_NAVIGATION_EVENT_TOUCH_DOWN:
    case GST_NAVIGATION_EVENT_TOUCH_MOTION:
      if (!need(has_xy && has_ident, "identifier, x and y"))
        return nullptr;
      return nav->type == GST_NAVIGATION_EVENT_TOUCH_DOWN
                 ? gst_navigation_event_new_touch_down(
                     static_cast<guint>(ident), x, y, pressure, state)
                 : gst_navigation_event_new_touch_motion(
                     static_cast<guint>(ident), x, y, pressure, state);
    case GST_NAVIGATION_EVENT_TOUCH_UP:
      if (!need(has_xy && has_ident, "identifier, x and y"))
        return nullptr;
      return gst_navigation_event_new_touch_up(
          static_cast<guint>(ident), x, y, state);
    case GST_NAVIGATION_EVENT_TOUCH_FRAME:
      return gst_navigation_event_new_touch_frame(state);
    case GST_NAVIGATION_EVENT_TOUCH_CANCEL:
      return gst_navigation_event_new_touch_cancel(state);
    default:
      break;
  }
  *error = "unsupported navigation event";
  return nullptr;
}

bool
valid_structure_name(const char *name) {
  if (!name || !g_ascii_isalpha(name[0]))
    return false;
  for (const char *p = name; *p; p++) {
    if (!g_ascii_isalnum(*p) && !strchr("/-_.:+", *p))
      return false;
  }
  return true;
}

bool json_to_structure(JsonObject *o, GstStructure *st, std::string *error);

bool
json_to_value(JsonNode *n, GValue *v, std::string *error) {
  if (JSON_NODE_HOLDS_OBJECT(n)) {
    GstStructure *inner = gst_structure_new_empty("structure");
    if (!json_to_structure(json_node_get_object(n), inner, error)) {
      gst_structure_free(inner);
      return false;
    }
    g_value_init(v, GST_TYPE_STRUCTURE);
    g_value_take_boxed(v, inner);
    return true;
  }
  if (JSON_NODE_HOLDS_ARRAY(n)) {
    gst_value_array_init(v, 0);
    JsonArray *a = json_node_get_array(n);
    for (guint i = 0; i < json_array_get_length(a); i++) {
      GValue item = G_VALUE_INIT;
      if (!json_to_value(json_array_get_element(a, i), &item, error)) {
        g_value_unset(v);
        return false;
      }
      gst_value_array_append_and_take_value(v, &item);
    }
    return true;
  }
  if (!JSON_NODE_HOLDS_VALUE(n)) {
    *error = "null values cannot be carried in a structure";
    return false;
  }
  GType t = json_node_get_value_type(n);
  if (t == G_TYPE_INT64) {
    gint64 i = json_node_get_int(n);
    if (i >= G_MININT && i <= G_MAXINT) {
      g_value_init(v, G_TYPE_INT);
      g_value_set_int(v, static_cast<gint>(i));
    } else {
      g_value_init(v, G_TYPE_INT64);
      g_value_set_int64(v, i);
    }
  } else if (t == G_TYPE_DOUBLE) {
    if (!std::isfinite(json_node_get_double(n))) {
      *error = "a number too large for a double";
      return false;
    }
    g_value_init(v, G_TYPE_DOUBLE);
    g_value_set_double(v, json_node_get_double(n));
  } else if (t == G_TYPE_BOOLEAN) {
    g_value_init(v, G_TYPE_BOOLEAN);
    g_value_set_boolean(v, json_node_get_boolean(n));
  } else {
    g_value_init(v, G_TYPE_STRING);
    g_value_set_string(v, json_node_get_string(n));
  }
  return true;
}

bool
json_to_structure(JsonObject *o, GstStructure *st, std::string *error) {
  GList *members = json_object_get_members(o);
  bool ok = true;
  for (GList *l = members; l && ok; l = l->next) {
    const char *name = static_cast<const char *>(l->data);
    if (!valid_structure_name(name)) {
      *error = std::string("\"") + name + "\" cannot be a structure field";
      ok = false;
      break;
    }
    GValue v = G_VALUE_INIT;
    ok = json_to_value(json_object_get_member(o, name), &v, error);
    if (ok)
      gst_structure_take_value(st, name, &v);
  }
  g_list_free(members);
  return ok;
}

/* GStreamer interns a structure's name and its field names (GLib quarks),
 * and an interned name lives as long as the process: a consumer sending
 * custom events under ever new names would grow a producer that runs for
 * months without end (200,000 names: 86 MB, docs/testing.md). Names
 * already known cost nothing; new ones come out of a budget for the
 * process, after which such requests are refused (with a reason). */
constexpr guint kMaxNewCustomNames = 4096;
std::atomic<guint> new_custom_names{0};

constexpr int kMaxCustomDepth = 64;

/* Adds the names in @n not interned yet to @out; false when @n nests
 * deeper than kMaxCustomDepth (refused: building it recurses as deep). */
bool
collect_new_names(JsonNode *n, std::set<std::string> &out, int depth = 0) {
  if (depth > kMaxCustomDepth)
    return false;
  if (JSON_NODE_HOLDS_ARRAY(n)) {
    JsonArray *a = json_node_get_array(n);
    for (guint i = 0; i < json_array_get_length(a); i++) {
      if (!collect_new_names(json_array_get_element(a, i), out, depth + 1))
        return false;
    }
    return true;
  }
  if (!JSON_NODE_HOLDS_OBJECT(n))
    return true;
  JsonObjectIter it;
  const gchar *name = nullptr;
  JsonNode *member = nullptr;
  json_object_iter_init(&it, json_node_get_object(n));
  while (json_object_iter_next(&it, &name, &member)) {
    if (!g_quark_try_string(name))
      out.insert(name);
    if (!collect_new_names(member, out, depth + 1))
      return false;
  }
  return true;
}

bool
reserve_new_names(guint n) {
  guint used = new_custom_names.load();
  do {
    if (used + n > kMaxNewCustomNames)
      return false;
  } while (!new_custom_names.compare_exchange_weak(used, used + n));
  return true;
}

GstEvent *
custom_from_json(JsonObject *req, std::string *error) {
  const char *name = get_string(req, "structureName");
  if (!valid_structure_name(name)) {
    *error = name ? std::string("\"") + name + "\" is not a structure name"
                  : "customUpstreamEvent without a structureName";
    return nullptr;
  }
  JsonNode *fields = json_object_get_member(req, "structure");
  std::set<std::string> fresh;
  if (!g_quark_try_string(name))
    fresh.insert(name);
  if (fields && !collect_new_names(fields, fresh)) {
    *error = "a custom event's structure may nest "
             + std::to_string(kMaxCustomDepth) + " levels at most";
    return nullptr;
  }
  if (!fresh.empty() && !reserve_new_names(fresh.size())) {
    *error = "too many distinct names in custom events (this process took "
             + std::to_string(kMaxNewCustomNames)
             + " new ones, each kept for its life): use names it knows";
    return nullptr;
  }
  GstStructure *st = gst_structure_new_empty(name);
  if (fields && JSON_NODE_HOLDS_OBJECT(fields)
      && !json_to_structure(json_node_get_object(fields), st, error)) {
    gst_structure_free(st);
    return nullptr;
  }
  return gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, st);
}

std::string
to_text(JsonBuilder *b) {
  JsonNode *root = json_builder_get_root(b);
  gchar *s = json_to_string(root, FALSE);
  std::string out = s;
  g_free(s);
  json_node_unref(root);
  return out;
}

} // namespace

bool
control_parse_request(
    const std::string &text, ControlRequest *out, std::string *error) {
  out->id = -1;
  JsonParser *parser = json_parser_new();
  GError *err = nullptr;
  bool ok = false;
  if (!json_parser_load_from_data(parser, text.data(), text.size(), &err)) {
    *error = std::string("not JSON: ") + err->message;
    g_clear_error(&err);
    g_object_unref(parser);
    return false;
  }
  JsonNode *root = json_parser_get_root(parser);
  do {
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
      *error = "a request is a JSON object";
      break;
    }
    JsonObject *o = json_node_get_object(root);
    /* Up to 2^53: every such id survives a JavaScript number. */
    if (!get_integer(o, "id", 0, 9007199254740992.0, &out->id)) {
      out->id = -1;
      *error = "request without a numeric \"id\"";
      break;
    }
    if (const char *mid = get_string(o, "mid"))
      out->mid = mid;
    JsonNode *rn = json_object_get_member(o, "request");
    if (!rn || !JSON_NODE_HOLDS_OBJECT(rn)) {
      *error = "request without a \"request\" object";
      break;
    }
    JsonObject *req = json_node_get_object(rn);
    const char *type = get_string(req, "type");
    GstEvent *ev = nullptr;
    if (g_strcmp0(type, "navigationEvent") == 0) {
      out->type = ControlRequestType::Navigation;
      JsonNode *en = json_object_get_member(req, "event");
      if (!en || !JSON_NODE_HOLDS_OBJECT(en)) {
        *error = "navigationEvent without an \"event\" object";
        break;
      }
      ev = navigation_from_json(json_node_get_object(en), error);
    } else if (g_strcmp0(type, "customUpstreamEvent") == 0) {
      out->type = ControlRequestType::CustomUpstream;
      ev = custom_from_json(req, error);
    } else {
      *error = type ? std::string("unknown request type \"") + type + "\""
                    : "request without a \"type\"";
      break;
    }
    if (!ev)
      break;
    out->event.reset(ev);
    ok = true;
  } while (false);
  g_object_unref(parser);
  return ok;
}

std::string
control_response(gint64 id, const std::string &error) {
  JsonBuilder *b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "type");
  json_builder_add_string_value(b, "ControlResponseMessage");
  json_builder_set_member_name(b, "id");
  json_builder_add_int_value(b, id);
  if (!error.empty()) {
    json_builder_set_member_name(b, "error");
    json_builder_add_string_value(b, error.c_str());
  }
  json_builder_end_object(b);
  std::string out = to_text(b);
  g_object_unref(b);
  return out;
}

std::string
control_navigation_request(gint64 id, GstEvent *event, const std::string &mid) {
  if (!event || GST_EVENT_TYPE(event) != GST_EVENT_NAVIGATION)
    return "";
  const NavName *nav = nav_by_type(gst_navigation_event_get_type(event));
  if (!nav)
    return "";
  JsonBuilder *b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "id");
  json_builder_add_int_value(b, id);
  if (!mid.empty()) {
    json_builder_set_member_name(b, "mid");
    json_builder_add_string_value(b, mid.c_str());
  }
  json_builder_set_member_name(b, "request");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "type");
  json_builder_add_string_value(b, "navigationEvent");
  json_builder_set_member_name(b, "event");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "event");
  json_builder_add_string_value(b, nav->upstream);
  auto num = [b](const char *name, double v) {
    json_builder_set_member_name(b, name);
    json_builder_add_double_value(b, v);
  };
  gdouble x = 0, y = 0, dx = 0, dy = 0, pressure = 0;
  gint button = 0;
  guint ident = 0;
  const gchar *key = nullptr;
  switch (nav->type) {
    case GST_NAVIGATION_EVENT_MOUSE_MOVE:
      gst_navigation_event_parse_mouse_move_event(event, &x, &y);
      num("x", x);
      num("y", y);
      break;
    case GST_NAVIGATION_EVENT_MOUSE_BUTTON_PRESS:
    case GST_NAVIGATION_EVENT_MOUSE_BUTTON_RELEASE:
      gst_navigation_event_parse_mouse_button_event(event, &button, &x, &y);
      num("x", x);
      num("y", y);
      json_builder_set_member_name(b, "button");
      json_builder_add_int_value(b, button);
      break;
    case GST_NAVIGATION_EVENT_MOUSE_SCROLL:
      gst_navigation_event_parse_mouse_scroll_event(event, &x, &y, &dx, &dy);
      num("x", x);
      num("y", y);
      num("delta_x", dx);
      num("delta_y", dy);
      break;
    case GST_NAVIGATION_EVENT_KEY_PRESS:
    case GST_NAVIGATION_EVENT_KEY_RELEASE:
      gst_navigation_event_parse_key_event(event, &key);
      json_builder_set_member_name(b, "key");
      json_builder_add_string_value(b, key ? key : "");
      break;
    case GST_NAVIGATION_EVENT_TOUCH_DOWN:
    case GST_NAVIGATION_EVENT_TOUCH_MOTION:
      gst_navigation_event_parse_touch_event(event, &ident, &x, &y, &pressure);
      json_builder_set_member_name(b, "identifier");
      json_builder_add_int_value(b, ident);
      num("x", x);
      num("y", y);
      num("pressure", pressure);
      break;
    case GST_NAVIGATION_EVENT_TOUCH_UP:
      gst_navigation_event_parse_touch_up_event(event, &ident, &x, &y);
      json_builder_set_member_name(b, "identifier");
      json_builder_add_int_value(b, ident);
      num("x", x);
      num("y", y);
      break;
    default:
      break;
  }
  GstNavigationModifierType state = GST_NAVIGATION_MODIFIER_NONE;
  gst_navigation_event_parse_modifier_state(event, &state);
  json_builder_set_member_name(b, "modifier_state");
  json_builder_add_string_value(b, modifiers_text(state).c_str());
  json_builder_end_object(b); /* event */
  json_builder_end_object(b); /* request */
  json_builder_end_object(b);
  std::string out = to_text(b);
  g_object_unref(b);
  return out;
}

bool
control_parse_message(const std::string &text, std::string *type, gint64 *id,
    std::string *error) {
  JsonParser *parser = json_parser_new();
  bool ok
      = json_parser_load_from_data(parser, text.data(), text.size(), nullptr);
  JsonNode *root = ok ? json_parser_get_root(parser) : nullptr;
  ok = root && JSON_NODE_HOLDS_OBJECT(root);
  if (ok) {
    JsonObject *o = json_node_get_object(root);
    const char *t = get_string(o, "type");
    *type = t ? t : "";
    if (!get_integer(o, "id", 0, 9007199254740992.0, id))
      *id = -1;
    const char *e = get_string(o, "error");
    *error = e ? e : "";
  }
  g_object_unref(parser);
  return ok;
}

} // namespace gws
