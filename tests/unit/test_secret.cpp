/* gws::equal_secret (signaling/common/gws-secret.h), the token comparison
 * of the relay and the WHIP/WHEP servers. (That its time does not depend
 * on the input is a property of the code, not something a test here can
 * measure reliably.) */
#include "common/gws-secret.h"

#include <gtest/gtest.h>

TEST(Secret, EqualOnlyWhenIdentical) {
  EXPECT_TRUE(gws::equal_secret("s3cret", "s3cret"));
  EXPECT_FALSE(gws::equal_secret("s3cret", "s3creT"));
  EXPECT_FALSE(gws::equal_secret("s3cret", "S3cret"));
  EXPECT_FALSE(gws::equal_secret("s3cret", "s3cre"));   /* prefix */
  EXPECT_FALSE(gws::equal_secret("s3cret", "s3crets")); /* longer */
  EXPECT_FALSE(gws::equal_secret("s3cret", ""));
  EXPECT_FALSE(gws::equal_secret("s3cret", nullptr));
  EXPECT_FALSE(gws::equal_secret("", "x"));
  EXPECT_TRUE(gws::equal_secret("", ""));
}
