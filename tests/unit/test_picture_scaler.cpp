/* The picture a shared encoder gets for its bitrate
 * (plugins/webrtcsession/gws-picture-scaler.*): the level chosen from
 * bits per pixel per frame, with hysteresis, and the pictures per level. */
#include "gws-picture-scaler.h"

#include <gtest/gtest.h>

using gws::choose_picture_level;
using gws::picture_at;
using gws::PictureInput;

namespace {

const PictureInput kVga{640, 480, 30};
const PictureInput kQvga{320, 240, 30};

} // namespace

TEST(PictureScaler, Pictures) {
  EXPECT_EQ(picture_at(kVga, 0).width, 640);
  EXPECT_EQ(picture_at(kVga, 1).width, 320);
  EXPECT_EQ(picture_at(kVga, 1).height, 240);
  EXPECT_DOUBLE_EQ(picture_at(kVga, 1).fps, 30);
  EXPECT_DOUBLE_EQ(picture_at(kVga, 2).fps, 15);
  /* Odd halves are made even (encoders want even sizes). */
  EXPECT_EQ(picture_at(PictureInput{642, 362, 30}, 1).height, 180);
  /* Variable frame rate: counted as 30. */
  EXPECT_DOUBLE_EQ(picture_at(PictureInput{640, 480, 0}, 2).fps, 15);
}

/* 640x480 behind a 600 kbit/s path (encoder ~470 kbit/s): half size. A
 * clean path keeps the input's picture. */
TEST(PictureScaler, LowRateHalvesTheSize) {
  EXPECT_EQ(choose_picture_level(470'000, kVga, 0), 1);
  EXPECT_EQ(choose_picture_level(2'000'000, kVga, 0), 0);
  /* 320x240 at the same rate is enough bits already. */
  EXPECT_EQ(choose_picture_level(470'000, kQvga, 0), 0);
}

/* One step per call, and the frame rate only at the very bottom. */
TEST(PictureScaler, StepsOneAtATime) {
  EXPECT_EQ(choose_picture_level(100'000, kVga, 0), 1);
  EXPECT_EQ(choose_picture_level(100'000, kVga, 1), 2);
  EXPECT_EQ(choose_picture_level(100'000, kVga, 2), 2);
  EXPECT_EQ(choose_picture_level(5'000'000, kVga, 2), 1);
  EXPECT_EQ(choose_picture_level(5'000'000, kVga, 1), 0);
}

/* Between the down and up thresholds the level holds: an estimate
 * wandering around one threshold does not flip the size. */
TEST(PictureScaler, Hysteresis) {
  /* 640x480x30 = 9.2 Mpixel/s: down under 645 kbit/s, up from 922. */
  EXPECT_EQ(choose_picture_level(700'000, kVga, 0), 0);
  EXPECT_EQ(choose_picture_level(700'000, kVga, 1), 1);
  EXPECT_EQ(choose_picture_level(600'000, kVga, 0), 1);
  EXPECT_EQ(choose_picture_level(950'000, kVga, 1), 0);
}

/* A small or slow input is not made smaller than 160x120 or slower than
 * 10 frames/s. */
TEST(PictureScaler, Floors) {
  EXPECT_EQ(choose_picture_level(10'000, PictureInput{240, 180, 30}, 0), 0);
  EXPECT_EQ(choose_picture_level(10'000, PictureInput{320, 240, 15}, 1), 1);
  EXPECT_EQ(choose_picture_level(10'000, kQvga, 1), 2); /* 160x120 at 15 */
  EXPECT_EQ(choose_picture_level(10'000, PictureInput{640, 480, 30}, 1), 2);
  /* Unknown input: no change. */
  EXPECT_EQ(choose_picture_level(10'000, PictureInput{}, 0), 0);
}
