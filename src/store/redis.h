// Redis: a pipelined client over one Asio TCP connection (hiredis only encodes commands and
// parses replies), and the KeyValue implementation on top of it.
//
// Commands from any number of coroutines share the connection: each is written as it comes and
// answered in order (RESP replies arrive in command order). The connection opens on first use,
// authenticates and selects the database from the URL; when it drops, the commands in flight
// fail with kKvErrorConnection (they may or may not have run) and the next command reconnects.
// A command not answered within command_timeout_ms fails with kKvErrorTimeout and resets the
// connection, since every reply behind it is late too. A client (and every copy) must go before
// the io_context it runs on.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/errors.h"
#include "store/kv.h"

namespace rafiki::store {

constexpr std::size_t kRedisCommandsInFlightMax = 10000;  // beyond: kKvErrorServer "busy"
constexpr std::size_t kRedisArgsMax = 1024 * 1024;        // arguments of one command
constexpr std::size_t kRedisReadChunkBytes = 16 * 1024;

struct RedisOptions {
  int connect_timeout_ms = 5000;
  int command_timeout_ms = 5000;
};

// redis://[[user]:password@]host[:port][/db]; port 6379 and db 0 by default. As ioredis did,
// "redis://secret@host" (no colon) gives a password, not a user.
struct RedisEndpoint {
  std::string host;
  std::uint16_t port = 6379;
  std::string user;      // empty: AUTH with the password only
  std::string password;  // empty: no AUTH
  int db = 0;
};

// Fails with kKvErrorInvalid on another scheme (rediss:// included: no TLS), a bad port or db,
// or a bad percent-escape. The message never contains the password.
Result<RedisEndpoint> parse_redis_url(std::string_view url);

struct RedisReply {
  // kError only inside an array (e.g. EXEC's); an error reply at the top is a failed Result.
  enum class Type { kString, kStatus, kInteger, kNil, kArray, kError };
  Type type = Type::kNil;
  std::string text;  // kString, kStatus, kError
  std::int64_t integer = 0;
  std::vector<RedisReply> elements;  // kArray
};

// A command's words from strings and string literals: command(redis_command("GET", key)).
// (Prefer it to a braced list inside co_await: g++ 12 miscompiles string literals in an
// initializer list there.)
template <class... W>
std::vector<std::string> redis_command(W&&... words) {
  std::vector<std::string> out;
  out.reserve(sizeof...(words));
  (out.emplace_back(std::forward<W>(words)), ...);
  return out;
}

class RedisClient {
 public:
  // Checks the URL and options; connects on first command.
  static Result<RedisClient> create(boost::asio::any_io_executor executor, std::string_view url,
                                    RedisOptions options = {});

  // Sends one command (name and arguments, binary-safe) and returns its reply. An error reply
  // is kKvErrorServer with Redis' message; see above for the other failures.
  boost::asio::awaitable<Result<RedisReply>> command(std::vector<std::string> args);

 private:
  struct Impl;
  struct Owner;
  explicit RedisClient(std::shared_ptr<Owner> owner) : owner_(std::move(owner)) {}
  std::shared_ptr<Owner> owner_;  // closes the connection when the last copy goes
};

// The KeyValue over Redis (atomic where it matters: SET NX PX for set_if_absent, a Lua script
// for remove_if_equals and for increment with a TTL on creation).
std::shared_ptr<KeyValue> make_redis_key_value(RedisClient client);

// Redis when `redis_url` is non-empty, else the in-memory store.
Result<std::shared_ptr<KeyValue>> make_key_value(boost::asio::any_io_executor executor,
                                                 std::string_view redis_url);

}  // namespace rafiki::store
