/* The `data-channels` property (plugins/webrtcsession/gws-data-channels.*):
 * labels and labels with options parse into channel specs; a bad entry is
 * refused with an error that names it. */
#include "gws-data-channels.h"

#include <gst/gst.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace gws;

namespace {

bool
parse(const char *text, std::vector<ChannelSpec> *out, std::string *error) {
  GValue v = G_VALUE_INIT;
  g_value_init(&v, GST_TYPE_ARRAY);
  /* As gst-launch would: "<a, \"b,ordered=false\">". */
  EXPECT_TRUE(gst_value_deserialize(&v, text)) << text;
  bool ok = parse_channel_specs(&v, out, error);
  g_value_unset(&v);
  return ok;
}

} // namespace

TEST(DataChannelSpecs, LabelsAndOptions) {
  std::vector<ChannelSpec> specs;
  std::string error;
  ASSERT_TRUE(parse("<chat, \"fast,ordered=false,max-retransmits=0\", "
                    "\"late,max-packet-lifetime=200,protocol=x\">",
      &specs, &error))
      << error;
  ASSERT_EQ(specs.size(), 3u);
  EXPECT_EQ(specs[0].label, "chat");
  EXPECT_TRUE(specs[0].ordered);
  EXPECT_EQ(specs[0].max_retransmits, -1);
  EXPECT_EQ(specs[0].max_packet_lifetime, -1);
  EXPECT_EQ(specs[1].label, "fast");
  EXPECT_FALSE(specs[1].ordered);
  EXPECT_EQ(specs[1].max_retransmits, 0);
  EXPECT_EQ(specs[2].max_packet_lifetime, 200);
  EXPECT_EQ(specs[2].protocol, "x");
}

TEST(DataChannelSpecs, EmptyAndUnset) {
  std::vector<ChannelSpec> specs;
  std::string error;
  EXPECT_TRUE(parse("<>", &specs, &error));
  EXPECT_TRUE(specs.empty());
  EXPECT_TRUE(parse_channel_specs(nullptr, &specs, &error));
}

TEST(DataChannelSpecs, BadEntriesSayWhy) {
  std::vector<ChannelSpec> specs;
  std::string error;
  EXPECT_FALSE(
      parse("<\"x,max-retransmits=1,max-packet-lifetime=5\">", &specs, &error));
  EXPECT_NE(error.find("exclude each other"), std::string::npos) << error;
  EXPECT_FALSE(parse("<a, a>", &specs, &error));
  EXPECT_NE(error.find("listed twice"), std::string::npos) << error;
  EXPECT_FALSE(parse("<\"9 lives\">", &specs, &error));
  EXPECT_NE(error.find("9 lives"), std::string::npos) << error;
  EXPECT_FALSE(parse("<\"x,ordered=maybe\">", &specs, &error));
  EXPECT_NE(error.find("ordered"), std::string::npos) << error;
}

int
main(int argc, char **argv) {
  gst_init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
