/* The control data channel's protocol (plugins/webrtcsession/
 * gws-control-protocol.*): the requests the upstream gstwebrtc-api client
 * sends become the GstNavigation / custom upstream events GStreamer
 * elements understand, and back; bad requests get an error that names what
 * is wrong, with the id kept for the answer. */
#include "gws-control-protocol.h"

#include <gst/gst.h>
#include <gst/video/navigation.h>
#include <gtest/gtest.h>

#include <string>

using namespace gws;

namespace {

ControlRequest
parse_ok(const std::string &text) {
  ControlRequest req;
  std::string error;
  EXPECT_TRUE(control_parse_request(text, &req, &error)) << error;
  return req;
}

std::string
parse_error(const std::string &text, gint64 *id = nullptr) {
  ControlRequest req;
  std::string error;
  EXPECT_FALSE(control_parse_request(text, &req, &error)) << text;
  if (id)
    *id = req.id;
  return error;
}

} // namespace

TEST(ControlProtocol, MouseMoveFromTheUpstreamClient) {
  /* Exactly what RemoteController._sendGstNavigationEvent sends. */
  ControlRequest req = parse_ok(
      R"({"id":3,"request":{"type":"navigationEvent","event":{"event":)"
      R"("MouseMove","x":12.5,"y":40,"modifier_state":"shift-mask+button1-mask"}}})");
  EXPECT_EQ(req.id, 3);
  EXPECT_EQ(req.mid, "");
  ASSERT_TRUE(req.event);
  EXPECT_EQ(GST_EVENT_TYPE(req.event.get()), GST_EVENT_NAVIGATION);
  EXPECT_EQ(gst_navigation_event_get_type(req.event.get()),
      GST_NAVIGATION_EVENT_MOUSE_MOVE);
  gdouble x = 0, y = 0;
  ASSERT_TRUE(
      gst_navigation_event_parse_mouse_move_event(req.event.get(), &x, &y));
  EXPECT_DOUBLE_EQ(x, 12.5);
  EXPECT_DOUBLE_EQ(y, 40);
  GstNavigationModifierType state = GST_NAVIGATION_MODIFIER_NONE;
  ASSERT_TRUE(
      gst_navigation_event_parse_modifier_state(req.event.get(), &state));
  EXPECT_EQ(state, static_cast<GstNavigationModifierType>(
                       GST_NAVIGATION_MODIFIER_SHIFT_MASK
                       | GST_NAVIGATION_MODIFIER_BUTTON1_MASK));
}

TEST(ControlProtocol, ButtonKeyScrollTouch) {
  ControlRequest b = parse_ok(
      R"({"id":1,"mid":"0","request":{"type":"navigationEvent","event":)"
      R"({"event":"MouseButtonPress","x":1,"y":2,"button":1,"modifier_state":""}}})");
  EXPECT_EQ(b.mid, "0");
  gint button = 0;
  gdouble x, y;
  ASSERT_TRUE(gst_navigation_event_parse_mouse_button_event(
      b.event.get(), &button, &x, &y));
  EXPECT_EQ(button, 1);

  ControlRequest k = parse_ok(
      R"({"id":2,"request":{"type":"navigationEvent","event":)"
      R"({"event":"KeyPress","key":"Return","modifier_state":"control-mask"}}})");
  const gchar *key = nullptr;
  ASSERT_TRUE(gst_navigation_event_parse_key_event(k.event.get(), &key));
  EXPECT_STREQ(key, "Return");

  /* GStreamer's own names are accepted too. */
  ControlRequest s = parse_ok(
      R"({"id":4,"request":{"type":"navigationEvent","event":)"
      R"({"event":"mouse-scroll","x":5,"y":6,"delta_x":0,"delta_y":-3}}})");
  gdouble dx = 1, dy = 0;
  ASSERT_TRUE(gst_navigation_event_parse_mouse_scroll_event(
      s.event.get(), &x, &y, &dx, &dy));
  EXPECT_DOUBLE_EQ(dy, -3);

  ControlRequest t = parse_ok(
      R"({"id":5,"request":{"type":"navigationEvent","event":)"
      R"({"event":"TouchDown","identifier":7,"x":5,"y":6,"pressure":0.5}}})");
  guint ident = 0;
  gdouble pressure = 0;
  ASSERT_TRUE(gst_navigation_event_parse_touch_event(
      t.event.get(), &ident, &x, &y, &pressure));
  EXPECT_EQ(ident, 7u);
  EXPECT_DOUBLE_EQ(pressure, 0.5);
}

TEST(ControlProtocol, CustomUpstreamEvent) {
  ControlRequest req = parse_ok(
      R"({"id":9,"request":{"type":"customUpstreamEvent","structureName":)"
      R"("my-event","structure":{"zoom":2,"label":"a b","fast":true,)"
      R"("ratio":0.25,"list":[1,2]}}})");
  EXPECT_EQ(req.type, ControlRequestType::CustomUpstream);
  ASSERT_TRUE(req.event);
  EXPECT_EQ(GST_EVENT_TYPE(req.event.get()), GST_EVENT_CUSTOM_UPSTREAM);
  const GstStructure *st = gst_event_get_structure(req.event.get());
  EXPECT_TRUE(gst_structure_has_name(st, "my-event"));
  gint zoom = 0;
  EXPECT_TRUE(gst_structure_get_int(st, "zoom", &zoom));
  EXPECT_EQ(zoom, 2);
  EXPECT_STREQ(gst_structure_get_string(st, "label"), "a b");
  gboolean fast = FALSE;
  EXPECT_TRUE(gst_structure_get_boolean(st, "fast", &fast));
  EXPECT_TRUE(fast);
  EXPECT_EQ(gst_value_array_get_size(gst_structure_get_value(st, "list")), 2u);
}

TEST(ControlProtocol, BadRequestsSayWhyAndKeepTheId) {
  EXPECT_NE(parse_error("not json").find("not JSON"), std::string::npos);
  EXPECT_NE(parse_error("[1]").find("object"), std::string::npos);
  EXPECT_NE(parse_error(R"({"request":{}})").find("id"), std::string::npos);
  gint64 id = -1;
  std::string e = parse_error(
      R"({"id":11,"request":{"type":"navigationEvent","event":{"event":"Fly"}}})",
      &id);
  EXPECT_EQ(id, 11);
  EXPECT_NE(e.find("Fly"), std::string::npos);
  e = parse_error(
      R"({"id":12,"request":{"type":"navigationEvent","event":{"event":"MouseMove"}}})",
      &id);
  EXPECT_EQ(id, 12);
  EXPECT_NE(e.find("x and y"), std::string::npos);
  e = parse_error(R"({"id":13,"request":{"type":"teleport"}})", &id);
  EXPECT_EQ(id, 13);
  EXPECT_NE(e.find("teleport"), std::string::npos);
  e = parse_error(
      R"({"id":14,"request":{"type":"customUpstreamEvent","structureName":"9 bad"}})");
  EXPECT_NE(e.find("structure name"), std::string::npos);
}

/* Numbers a peer may send that no integer holds: refused with a reason,
 * never cast (undefined behaviour, which UBSan reports). */
TEST(ControlProtocol, OutOfRangeNumbersAreRefused) {
  EXPECT_NE(parse_error(R"({"id":1e999,"request":{}})").find("id"),
      std::string::npos);
  EXPECT_NE(
      parse_error(R"({"id":-3,"request":{}})").find("id"), std::string::npos);
  gint64 id = -1;
  std::string e = parse_error(
      R"({"id":21,"request":{"type":"navigationEvent","event":)"
      R"({"event":"MouseButtonPress","x":1,"y":2,"button":1e300}}})",
      &id);
  EXPECT_EQ(id, 21);
  EXPECT_NE(e.find("button"), std::string::npos);
  e = parse_error(R"({"id":22,"request":{"type":"navigationEvent","event":)"
                  R"({"event":"TouchDown","x":1,"y":2,"identifier":-1}}})",
      &id);
  EXPECT_NE(e.find("identifier"), std::string::npos);
  e = parse_error(R"({"id":23,"request":{"type":"navigationEvent","event":)"
                  R"({"event":"MouseMove","x":1e999,"y":2}}})",
      &id);
  EXPECT_NE(e.find("x and y"), std::string::npos);
  ControlRequest req
      = parse_ok(R"({"id":24,"request":{"type":"navigationEvent","event":)"
                 R"({"event":"MouseMove","x":1,"y":2,"modifier_state":-5}}})");
  EXPECT_EQ(req.id, 24);
  std::string type, error;
  ASSERT_TRUE(control_parse_message(
      R"({"type":"ControlResponseMessage","id":1e999})", &type, &id, &error));
  EXPECT_EQ(id, -1);
}

/* Every new name a custom event carries is interned for the life of the
 * process: a budget of new names bounds what consumers can make a
 * producer keep; known names always pass. (Last in this file: it spends
 * the process's budget.) */
TEST(ControlProtocolZ, NewNamesHaveABudget) {
  std::string known = R"({"id":1,"request":{"type":"customUpstreamEvent",)"
                      R"("structureName":"known-event","structure":{"a":1}}})";
  parse_ok(known);
  std::string deep = "1";
  for (int i = 0; i < 70; i++)
    deep = "{\"a\":" + deep + "}";
  EXPECT_NE(parse_error(R"({"id":2,"request":{"type":"customUpstreamEvent",)"
                        R"("structureName":"deep","structure":)"
                        + deep + "}}")
                .find("nest"),
      std::string::npos);
  int accepted = 0;
  std::string error;
  for (int i = 0; i < 5000 && error.empty(); i++) {
    ControlRequest req;
    std::string text = R"({"id":3,"request":{"type":"customUpstreamEvent",)"
                       R"("structureName":"budget-)"
                       + std::to_string(i) + R"(","structure":{"f)"
                       + std::to_string(i) + R"(":1}}})";
    if (control_parse_request(text, &req, &error))
      accepted++;
  }
  EXPECT_GT(accepted, 1000);
  EXPECT_LT(accepted, 2100); /* two new names each, 4096 in all */
  EXPECT_NE(error.find("too many distinct names"), std::string::npos) << error;
  parse_ok(known); /* names it knows still pass */
  parse_ok(R"({"id":4,"request":{"type":"customUpstreamEvent",)"
           R"("structureName":"budget-7","structure":{"f7":2}}})");
}

TEST(ControlProtocol, Response) {
  EXPECT_EQ(
      control_response(4, ""), R"({"type":"ControlResponseMessage","id":4})");
  EXPECT_EQ(control_response(5, "no video"),
      R"({"type":"ControlResponseMessage","id":5,"error":"no video"})");
  std::string type, error;
  gint64 id = 0;
  ASSERT_TRUE(control_parse_message(
      control_response(5, "no video"), &type, &id, &error));
  EXPECT_EQ(type, "ControlResponseMessage");
  EXPECT_EQ(id, 5);
  EXPECT_EQ(error, "no video");
}

TEST(ControlProtocol, NavigationEventRoundTrip) {
  GstEvent *ev = gst_navigation_event_new_mouse_button_release(3, 10, 20,
      static_cast<GstNavigationModifierType>(
          GST_NAVIGATION_MODIFIER_CONTROL_MASK));
  std::string text = control_navigation_request(7, ev, "1");
  gst_event_unref(ev);
  EXPECT_NE(text.find("\"MouseButtonRelease\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"control-mask\""), std::string::npos) << text;
  ControlRequest back = parse_ok(text);
  EXPECT_EQ(back.id, 7);
  EXPECT_EQ(back.mid, "1");
  gint button = 0;
  gdouble x = 0, y = 0;
  ASSERT_TRUE(gst_navigation_event_parse_mouse_button_event(
      back.event.get(), &button, &x, &y));
  EXPECT_EQ(button, 3);
  EXPECT_DOUBLE_EQ(x, 10);
  EXPECT_DOUBLE_EQ(y, 20);

  GstEvent *key
      = gst_navigation_event_new_key_press("a", GST_NAVIGATION_MODIFIER_NONE);
  text = control_navigation_request(8, key, "");
  gst_event_unref(key);
  EXPECT_EQ(text.find("\"mid\""), std::string::npos);
  ControlRequest k = parse_ok(text);
  const gchar *name = nullptr;
  ASSERT_TRUE(gst_navigation_event_parse_key_event(k.event.get(), &name));
  EXPECT_STREQ(name, "a");

  GstEvent *eos = gst_event_new_eos();
  EXPECT_EQ(control_navigation_request(9, eos, ""), "");
  gst_event_unref(eos);
}

int
main(int argc, char **argv) {
  gst_init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
