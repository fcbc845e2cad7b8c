// libFuzzer entry point for the ildcp checks of targets.h (make fuzz).
#include <cstddef>
#include <cstdint>

#include "targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rafiki::fuzz::ildcp_target(rafiki::ByteView(data, size));
  return 0;
}
