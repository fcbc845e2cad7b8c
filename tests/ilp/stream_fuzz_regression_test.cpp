// Replays the STREAM fuzz seed corpus (fuzz/corpus/stream: the STREAM packet fixtures) and every
// input the STREAM fuzzer once crashed on (fuzz/regressions/stream) through the checks of the
// libFuzzer target (fuzz/stream_targets.h), in every `make test`, with or without clang.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "../../fuzz/stream_targets.h"

namespace {

namespace fs = std::filesystem;

int replay_stream(const std::string& kind) {
  fs::path dir = fs::path(RAFIKI_SOURCE_DIR) / "fuzz" / kind / "stream";
  if (!fs::is_directory(dir)) return 0;
  int count = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_regular_file() || entry.path().filename().string().starts_with(".")) continue;
    std::ifstream file(entry.path(), std::ios::binary);
    rafiki::Bytes input((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    SCOPED_TRACE(entry.path().string());
    rafiki::fuzz::stream_target(input);
    ++count;
  }
  return count;
}

TEST(StreamFuzzRegression, SeedCorpusPassesTheFuzzChecks) {
  EXPECT_GE(replay_stream("corpus"), 50);
}

TEST(StreamFuzzRegression, KeptCrashInputsPassTheFuzzChecks) {
  replay_stream("regressions");
}

}  // namespace
