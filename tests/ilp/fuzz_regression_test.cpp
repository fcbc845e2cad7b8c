// Replays the fuzz seed corpus (fuzz/corpus) and every input a fuzzer once crashed on
// (fuzz/regressions) through the same checks the libFuzzer targets run (fuzz/targets.h), so a
// fixed crash stays fixed in every `make test`, with or without clang.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>

#include "../../fuzz/targets.h"

namespace {

namespace fs = std::filesystem;

// Runs `target` on every file under fuzz/<kind>/<name>; returns how many it ran.
int replay(const std::string& kind, const std::string& name,
           const std::function<void(rafiki::ByteView)>& target) {
  fs::path dir = fs::path(RAFIKI_SOURCE_DIR) / "fuzz" / kind / name;
  if (!fs::is_directory(dir)) return 0;
  int count = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_regular_file() || entry.path().filename().string().starts_with(".")) continue;
    std::ifstream file(entry.path(), std::ios::binary);
    rafiki::Bytes input((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    SCOPED_TRACE(entry.path().string());
    target(input);
    ++count;
  }
  return count;
}

}  // namespace

TEST(FuzzRegression, PacketInputsPassTheFuzzChecks) {
  EXPECT_GT(replay("corpus", "packet", rafiki::fuzz::packet_target), 0);
  replay("regressions", "packet", rafiki::fuzz::packet_target);
}

TEST(FuzzRegression, IldcpInputsPassTheFuzzChecks) {
  EXPECT_GT(replay("corpus", "ildcp", rafiki::fuzz::ildcp_target), 0);
  replay("regressions", "ildcp", rafiki::fuzz::ildcp_target);
}

TEST(FuzzRegression, OerInputsPassTheFuzzChecks) {
  EXPECT_GT(replay("corpus", "oer", rafiki::fuzz::oer_target), 0);
  replay("regressions", "oer", rafiki::fuzz::oer_target);
}
