#include "crypto/internal.h"

#include <openssl/err.h>

#include <stdexcept>
#include <string>

namespace rafiki::crypto::internal {

void throw_openssl_failure(const char* operation) {
  std::string message = std::string("OpenSSL failure in ") + operation;
  unsigned long code = ERR_get_error();
  if (code != 0) {
    char reason[256];
    ERR_error_string_n(code, reason, sizeof reason);
    message += ": ";
    message += reason;
  }
  ERR_clear_error();
  throw std::runtime_error(message);
}

OpenSslErrorScope::OpenSslErrorScope() {
  ERR_set_mark();
}
OpenSslErrorScope::~OpenSslErrorScope() {
  ERR_pop_to_mark();
}

}  // namespace rafiki::crypto::internal
