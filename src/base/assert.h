// RAFIKI_ASSERT(condition, message): an invariant that must never break — a balance that cannot
// go negative, a state a packet must be in, a stage that must have run before another. A broken
// invariant is a bug, not bad input: the process logs where and why and aborts, in every build
// type, because carrying on with money invariants broken is worse than stopping (a supervisor
// restarts the process; the ledger's transactions are atomic). Never use it for input, the
// network or the database: those failures are values (base/errors.h).
#pragma once

#include <source_location>
#include <string_view>

namespace rafiki {

// Logs "invariant broken: <expression>: <message> at <file>:<line> (<function>)" at critical
// level, flushes the log and aborts.
[[noreturn]] void assertion_failed(std::string_view expression, std::string_view message,
                                   std::source_location where = std::source_location::current());

}  // namespace rafiki

#define RAFIKI_ASSERT(condition, message)                                   \
  do {                                                                      \
    if (!(condition)) [[unlikely]] {                                        \
      ::rafiki::assertion_failed(#condition, (message));                    \
    }                                                                       \
  } while (false)
