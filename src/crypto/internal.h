// Helpers shared by the crypto sources only; not part of the library's interface.
#pragma once

namespace rafiki::crypto::internal {

// An OpenSSL call that cannot fail on valid input failed: the library or the machine is broken.
// Throws std::runtime_error naming the operation and OpenSSL's reason, and drops the queued
// OpenSSL errors of this thread.
[[noreturn]] void throw_openssl_failure(const char* operation);

// While alive, OpenSSL errors raised on this thread are discarded when the scope ends, so a
// refused key or a failed tag check leaves no stale entry for the next OpenSSL user (a TLS
// stream reads the same per-thread queue).
class OpenSslErrorScope {
 public:
  OpenSslErrorScope();
  ~OpenSslErrorScope();
  OpenSslErrorScope(const OpenSslErrorScope&) = delete;
  OpenSslErrorScope& operator=(const OpenSslErrorScope&) = delete;
};

}  // namespace rafiki::crypto::internal
