#include "base/log.h"

#include <gtest/gtest.h>

using namespace rafiki::log;

TEST(Log, AcceptsKnownLevelsAndFormatsAndRefusesOthers) {
  EXPECT_TRUE(init("debug", "json"));
  EXPECT_TRUE(init("info", "text"));
  EXPECT_TRUE(init("silent", ""));
  EXPECT_FALSE(init("loud", "text"));
  EXPECT_FALSE(init("info", "xml"));
}

TEST(Log, JsonEscapeProducesValidStringBodies) {
  EXPECT_EQ(json_escape("a\"b\\c\n\x01"), "a\\\"b\\\\c\\n\\u0001");
  EXPECT_EQ(json_escape("plain"), "plain");
}
