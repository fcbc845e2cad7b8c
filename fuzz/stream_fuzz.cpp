// libFuzzer entry point for the STREAM checks of stream_targets.h (make fuzz).
#include <cstddef>
#include <cstdint>

#include "stream_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rafiki::fuzz::stream_target(rafiki::ByteView(data, size));
  return 0;
}
