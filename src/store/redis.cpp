// The Redis client. All of its state lives on one strand: callers hop onto it (co_spawn) for
// each command, so the socket, the write buffer and the FIFO of commands awaiting replies need
// no locks. One reader coroutine per connection hands each parsed reply to the oldest waiting
// command; one writer coroutine drains the write buffer. A connection's coroutines carry its
// generation number and stop once the connection they served has been dropped.
#include "store/redis.h"

#include <hiredis/hiredis.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <charconv>
#include <deque>

#include <fmt/format.h>

namespace rafiki::store {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr int kRedisTimeoutMaxMs = 24 * 60 * 60 * 1000;

Error error_of(std::string_view code, std::string message) {
  return Error{std::string(code), std::move(message)};
}

std::unexpected<Error> invalid_url(std::string message) {
  return fail(std::string(kKvErrorInvalid), "bad Redis URL: " + std::move(message));
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
    if (ec != std::errc() || end != text.data() + i + 3) return std::nullopt;
    out += static_cast<char>(value);
    i += 2;
  }
  return out;
}

template <class I>
bool parse_decimal(std::string_view text, I& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

Result<RedisReply> convert(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_NIL:
      out.type = RedisReply::Type::kNil;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      for (std::size_t i = 0; i < r->elements; ++i) {
        const redisReply* e = r->element[i];
        if (e->type == REDIS_REPLY_ERROR) {
          RedisReply err;
          err.type = RedisReply::Type::kError;
          err.text.assign(e->str, e->len);
          out.elements.push_back(std::move(err));
          continue;
        }
        Result<RedisReply> element = convert(e);
        if (!element) return element;
        out.elements.push_back(std::move(*element));
      }
      break;
    case REDIS_REPLY_ERROR:
      return fail(std::string(kKvErrorServer), std::string(r->str, r->len));
    default:
      return fail(std::string(kKvErrorServer), "unknown Redis reply type");
  }
  return out;
}

}  // namespace

Result<RedisEndpoint> parse_redis_url(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  if (url.starts_with("rediss://")) return invalid_url("TLS (rediss://) is not supported");
  if (!url.starts_with(kScheme)) return invalid_url("it must start with redis://");
  std::string_view rest = url.substr(kScheme.size());
  rest = rest.substr(0, rest.find_first_of("?#"));
  std::string_view authority = rest.substr(0, rest.find('/'));
  std::string_view path = rest.substr(authority.size());

  RedisEndpoint ep;
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    std::string_view user, password = userinfo;
    if (auto colon = userinfo.find(':'); colon != std::string_view::npos) {
      user = userinfo.substr(0, colon);
      password = userinfo.substr(colon + 1);
    }
    auto u = percent_decode(user);
    auto p = percent_decode(password);
    if (!u || !p) return invalid_url("bad percent-escape in the user or password");
    ep.user = std::move(*u);
    ep.password = std::move(*p);
  }
  std::string_view port;
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return invalid_url("unclosed [ in the host");
    ep.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return invalid_url("junk after the host");
      port = after.substr(1);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    ep.host = std::string(authority.substr(0, colon));
    port = authority.substr(colon + 1);
  } else {
    ep.host = std::string(authority);
  }
  if (ep.host.empty()) return invalid_url("no host");
  if (!port.empty() || authority.ends_with(':')) {
    int value = 0;
    if (!parse_decimal(port, value) || value < 1 || value > 65535) {
      return invalid_url("port must be 1..65535");
    }
    ep.port = static_cast<std::uint16_t>(value);
  }
  if (path.size() > 1) {
    if (!parse_decimal(path.substr(1), ep.db) || ep.db < 0) {
      return invalid_url("the path must be a database number");
    }
  }
  return ep;
}

// ---- the connection

struct RedisClient::Impl : std::enable_shared_from_this<RedisClient::Impl> {
  // A command waiting for its reply. The reader (or a drop) fills `reply`, sets `done` and
  // cancels the timer, which otherwise fires at the command's deadline.
  struct Pending {
    explicit Pending(const asio::strand<asio::any_io_executor>& strand) : timer(strand) {}
    asio::steady_timer timer;
    bool done = false;
    Result<RedisReply> reply;
  };
  enum class State { kDisconnected, kConnecting, kConnected };

  Impl(asio::any_io_executor executor, RedisEndpoint ep, RedisOptions opts)
      : strand(asio::make_strand(std::move(executor))),
        endpoint(std::move(ep)),
        options(opts),
        socket(strand),
        connect_done(strand) {
    connect_done.expires_at(asio::steady_timer::time_point::max());
  }
  ~Impl() {
    if (reader != nullptr) redisReaderFree(reader);
  }

  asio::strand<asio::any_io_executor> strand;
  const RedisEndpoint endpoint;
  const RedisOptions options;
  tcp::socket socket;
  State state = State::kDisconnected;
  std::uint64_t generation = 0;  // bumped on every connect and drop
  std::string out;               // encoded commands not yet handed to the writer
  bool writing = false;
  std::deque<std::shared_ptr<Pending>> pending;  // written (or about to be), oldest first
  redisReader* reader = nullptr;
  asio::steady_timer connect_done;  // never expires; cancelled when an attempt ends
  Error connect_error;              // of the last failed attempt
  bool closed = false;

  // Fails every command in flight and closes the connection of generation `gen`.
  void drop(std::uint64_t gen, const Error& error) {
    if (gen != generation) return;
    ++generation;
    error_code ignored;
    socket.close(ignored);
    if (state == State::kConnected) state = State::kDisconnected;
    out.clear();
    writing = false;
    auto waiting = std::move(pending);
    pending.clear();
    for (auto& p : waiting) {
      p->reply = std::unexpected(error);
      p->done = true;
      p->timer.cancel();
    }
  }

  awaitable<void> read_loop([[maybe_unused]] std::shared_ptr<Impl> self, std::uint64_t gen) {
    std::string buffer(kRedisReadChunkBytes, '\0');
    for (;;) {
      auto [ec, n] = co_await socket.async_read_some(asio::buffer(buffer), kAwait);
      if (gen != generation) co_return;
      if (ec) {
        drop(gen, error_of(kKvErrorConnection, ec == asio::error::eof
                                                   ? "Redis closed the connection"
                                                   : "Redis connection lost: " + ec.message()));
        co_return;
      }
      if (redisReaderFeed(reader, buffer.data(), n) != REDIS_OK) {
        drop(gen, error_of(kKvErrorServer, "cannot parse Redis' reply"));
        co_return;
      }
      for (;;) {
        void* raw = nullptr;
        if (redisReaderGetReply(reader, &raw) != REDIS_OK) {
          drop(gen, error_of(kKvErrorServer, std::string("bad Redis reply: ") + reader->errstr));
          co_return;
        }
        if (raw == nullptr) break;
        Result<RedisReply> reply = convert(static_cast<redisReply*>(raw));
        freeReplyObject(raw);
        if (pending.empty()) {
          drop(gen, error_of(kKvErrorServer, "Redis sent a reply nobody asked for"));
          co_return;
        }
        std::shared_ptr<Pending> p = std::move(pending.front());
        pending.pop_front();
        p->reply = std::move(reply);
        p->done = true;
        p->timer.cancel();
      }
    }
  }

  awaitable<void> write_loop([[maybe_unused]] std::shared_ptr<Impl> self, std::uint64_t gen) {
    while (gen == generation && !out.empty()) {
      std::string chunk;
      chunk.swap(out);
      auto [ec, n] = co_await asio::async_write(socket, asio::buffer(chunk), kAwait);
      if (gen != generation) co_return;
      if (ec) {
        drop(gen, error_of(kKvErrorConnection, "Redis connection lost: " + ec.message()));
        co_return;
      }
    }
    if (gen == generation) writing = false;
  }

  // Queues one command on the open connection and waits for its reply.
  awaitable<Result<RedisReply>> send(const std::vector<std::string>& args) {
    if (pending.size() >= kRedisCommandsInFlightMax) {
      co_return fail(std::string(kKvErrorServer), "too many Redis commands in flight");
    }
    std::vector<const char*> argv(args.size());
    std::vector<std::size_t> lengths(args.size());
    for (std::size_t i = 0; i < args.size(); ++i) {
      argv[i] = args[i].data();
      lengths[i] = args[i].size();
    }
    char* encoded = nullptr;
    int size = redisFormatCommandArgv(&encoded, static_cast<int>(args.size()), argv.data(),
                                      lengths.data());
    if (size < 0) co_return fail(std::string(kKvErrorInvalid), "cannot encode the command");
    out.append(encoded, static_cast<std::size_t>(size));
    redisFreeCommand(encoded);

    auto p = std::make_shared<Pending>(strand);
    p->timer.expires_after(std::chrono::milliseconds(options.command_timeout_ms));
    pending.push_back(p);
    std::uint64_t gen = generation;
    if (!writing) {
      writing = true;
      asio::co_spawn(strand, write_loop(shared_from_this(), gen), asio::detached);
    }
    auto [waited] = co_await p->timer.async_wait(kAwait);
    if (!p->done && waited == asio::error::operation_aborted) {
      // The caller was cancelled: it alone stops waiting. Its command stays queued, so the
      // reader still pairs every reply with its own command, and the connection stays up.
      co_return fail(std::string(kKvErrorConnection), "the Redis command was cancelled");
    }
    if (!p->done) {
      drop(gen, error_of(kKvErrorTimeout,
                         fmt::format("Redis did not answer within {} ms; the connection was reset",
                                     options.command_timeout_ms)));
    }
    co_return std::move(p->reply);
  }

  // TCP connect (bounded), then AUTH and SELECT as the URL asks.
  awaitable<Result<void>> open() {
    auto self = shared_from_this();
    auto where = fmt::format("{}:{}", endpoint.host, endpoint.port);
    // What the deadline's handler shares with this coroutine; both run on the strand.
    struct Attempt {
      explicit Attempt(const asio::strand<asio::any_io_executor>& s) : resolver(s) {}
      tcp::resolver resolver;
      bool finished = false;
      bool timed_out = false;
    };
    auto attempt = std::make_shared<Attempt>(strand);
    asio::steady_timer deadline(strand);
    deadline.expires_after(std::chrono::milliseconds(options.connect_timeout_ms));
    deadline.async_wait([self, attempt](error_code ec) {
      if (ec || attempt->finished) return;
      attempt->timed_out = true;
      attempt->resolver.cancel();
      error_code ignored;
      self->socket.close(ignored);
    });

    std::vector<tcp::endpoint> endpoints;
    error_code ec;
    auto address = asio::ip::make_address(endpoint.host, ec);
    if (!ec) {
      endpoints.emplace_back(address, endpoint.port);
    } else {
      const std::string service = std::to_string(endpoint.port);
      auto [resolve_ec, results] =
          co_await attempt->resolver.async_resolve(endpoint.host, service, kAwait);
      ec = resolve_ec;
      for (const auto& r : results) endpoints.push_back(r.endpoint());
    }
    if (!ec && !attempt->timed_out) {
      error_code ignored;
      socket.close(ignored);
      auto [connect_ec, chosen] = co_await asio::async_connect(socket, endpoints, kAwait);
      ec = connect_ec;
    }
    attempt->finished = true;
    deadline.cancel();
    if (attempt->timed_out) {
      co_return fail(std::string(kKvErrorTimeout),
                     fmt::format("cannot connect to Redis at {} within {} ms", where,
                                 options.connect_timeout_ms));
    }
    if (ec) {
      co_return fail(std::string(kKvErrorConnection),
                     fmt::format("cannot connect to Redis at {}: {}", where, ec.message()));
    }
    socket.set_option(tcp::no_delay(true), ec);

    ++generation;
    if (reader != nullptr) redisReaderFree(reader);
    reader = redisReaderCreate();
    if (reader == nullptr) co_return fail(std::string(kKvErrorConnection), "out of memory");
    out.clear();
    writing = false;
    asio::co_spawn(strand, read_loop(self, generation), asio::detached);

    if (!endpoint.password.empty()) {
      std::vector<std::string> auth = endpoint.user.empty()
                                          ? redis_command("AUTH", endpoint.password)
                                          : redis_command("AUTH", endpoint.user, endpoint.password);
      Result<RedisReply> r = co_await send(auth);
      if (!r) {
        drop(generation, r.error());
        co_return fail(r.error().code, "Redis refused AUTH: " + r.error().message);
      }
    }
    if (endpoint.db != 0) {
      Result<RedisReply> r = co_await send(redis_command("SELECT", std::to_string(endpoint.db)));
      if (!r) {
        drop(generation, r.error());
        co_return fail(r.error().code, "Redis refused SELECT: " + r.error().message);
      }
    }
    co_return Result<void>{};
  }

  // Ensures a connection: opens one, or waits for the attempt another command started.
  awaitable<Result<void>> connect() {
    if (state == State::kConnecting) {
      co_await connect_done.async_wait(kAwait);
      if (state == State::kConnected) co_return Result<void>{};
      co_return std::unexpected(connect_error);
    }
    state = State::kConnecting;
    Result<void> opened = co_await open();
    if (closed && opened) {
      drop(generation, error_of(kKvErrorConnection, "Redis client closed"));
      opened = fail(std::string(kKvErrorConnection), "Redis client closed");
    }
    if (opened) {
      state = State::kConnected;
    } else {
      state = State::kDisconnected;
      connect_error = opened.error();
      error_code ignored;
      socket.close(ignored);
    }
    connect_done.cancel();
    co_return opened;
  }

  awaitable<Result<RedisReply>> run(std::vector<std::string> args) {
    if (closed) co_return fail(std::string(kKvErrorConnection), "Redis client closed");
    if (state != State::kConnected) {
      if (Result<void> ok = co_await connect(); !ok) co_return std::unexpected(ok.error());
    }
    co_return co_await send(args);
  }

  void close() {
    closed = true;
    drop(generation, error_of(kKvErrorConnection, "Redis client closed"));
    error_code ignored;
    socket.close(ignored);
  }
};

// Closes the connection when the last RedisClient copy goes (its coroutines hold the Impl).
struct RedisClient::Owner {
  std::shared_ptr<Impl> impl;
  ~Owner() {
    asio::post(impl->strand, [impl = impl] { impl->close(); });
  }
};

Result<RedisClient> RedisClient::create(asio::any_io_executor executor, std::string_view url,
                                        RedisOptions options) {
  auto endpoint = parse_redis_url(url);
  if (!endpoint) return std::unexpected(endpoint.error());
  for (int ms : {options.connect_timeout_ms, options.command_timeout_ms}) {
    if (ms < 1 || ms > kRedisTimeoutMaxMs) {
      return fail(std::string(kKvErrorInvalid),
                  fmt::format("Redis timeouts must be 1..{} ms", kRedisTimeoutMaxMs));
    }
  }
  auto owner = std::make_shared<Owner>();
  owner->impl = std::make_shared<Impl>(std::move(executor), std::move(*endpoint), options);
  return RedisClient(std::move(owner));
}

awaitable<Result<RedisReply>> RedisClient::command(std::vector<std::string> args) {
  if (args.empty() || args.size() > kRedisArgsMax) {
    co_return fail(std::string(kKvErrorInvalid),
                   "a Redis command needs 1.." + std::to_string(kRedisArgsMax) + " words");
  }
  std::shared_ptr<Impl> impl = owner_->impl;
  co_return co_await asio::co_spawn(impl->strand, impl->run(std::move(args)), asio::use_awaitable);
}

}  // namespace rafiki::store
