// The PostgreSQL pool: libpq in non-blocking mode, its socket watched by Asio.
//
// Asio watches a dup() of libpq's socket, never libpq's own descriptor: libpq closes its socket
// by itself when it sees the connection die (and may replace it while connecting), and a
// descriptor number closed behind the reactor's back can be reused by another socket of this
// process, whose registration the reactor would then clobber. With a dup the reactor owns its
// descriptor outright, and each side closes only its own.
#include "store/pg.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstring>
#include <deque>
#include <mutex>
#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "store/pg_connection.h"

namespace rafiki::store {

// Longest timeout a PgConfig may ask for (one day): a guard against unit mistakes.
constexpr int kPgTimeoutMaxMs = 24 * 60 * 60 * 1000;
// Addresses of a resolved host name that libpq is given to try, in order.
constexpr std::size_t kPgHostAddressesMax = 8;

namespace {

// The URL's host, resolved here (asynchronously) when it is one name, so that libpq, given the
// addresses as hostaddr, does not block this thread in getaddrinfo. Empty when there is nothing
// to resolve (an IP address, a socket directory, several hosts, or hostaddr already given).
struct ResolvedHost {
  std::string host;      // the name, once per address (libpq pairs host and hostaddr lists)
  std::string hostaddr;  // the addresses, comma-separated
};

awaitable<Result<std::optional<ResolvedHost>>> resolve_host(asio::any_io_executor executor,
                                                            const std::string& url) {
  std::string host, hostaddr, port;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), nullptr);
  if (options == nullptr) co_return std::nullopt;  // create() checked it; libpq will say
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    std::string_view key = o->keyword;
    if (key == "host") host = o->val;
    if (key == "hostaddr") hostaddr = o->val;
    if (key == "port") port = o->val;
  }
  PQconninfoFree(options);
  error_code not_ip;
  asio::ip::make_address(host, not_ip);
  if (host.empty() || !hostaddr.empty() || host.front() == '/' || host.front() == '@' ||
      host.find(',') != std::string::npos || port.find(',') != std::string::npos || !not_ip) {
    co_return std::nullopt;
  }
  asio::ip::tcp::resolver resolver(executor);
  // (No temporaries inside the co_await below: g++ 12 destroys some of them twice.)
  const std::string service = port.empty() ? std::string("5432") : port;
  auto [resolve_ec, results] =
      co_await resolver.async_resolve(host, service, asio::as_tuple(asio::use_awaitable));
  if (resolve_ec) {
    co_return fail(
        std::string(kPgErrorConnection),
        fmt::format("cannot resolve PostgreSQL host {}: {}", host, resolve_ec.message()));
  }
  ResolvedHost out;
  std::size_t count = 0;
  for (const auto& entry : results) {
    if (count++ == kPgHostAddressesMax) break;
    if (!out.host.empty()) {
      out.host += ',';
      out.hostaddr += ',';
    }
    out.host += host;
    out.hostaddr += entry.endpoint().address().to_string();
  }
  if (out.host.empty()) co_return std::nullopt;
  co_return out;
}

}  // namespace

awaitable<Result<std::unique_ptr<PgConnection>>> open_connection(asio::any_io_executor executor,
                                                                 const PgConfig& config,
                                                                 const std::string& options) {
  auto resolved = co_await resolve_host(executor, config.url);
  if (!resolved) co_return std::unexpected(resolved.error());
  auto c = std::make_unique<PgConnection>(executor, config.query_timeout_ms);
  // Our defaults come before the URL so that settings in the URL win; the resolved addresses
  // come after it, to replace its host.
  std::vector<const char*> keys{"options", "dbname"};
  std::vector<const char*> values{options.c_str(), config.url.c_str()};
  if (*resolved) {
    keys.insert(keys.end(), {"host", "hostaddr"});
    values.insert(values.end(), {(*resolved)->host.c_str(), (*resolved)->hostaddr.c_str()});
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  c->conn = PQconnectStartParams(keys.data(), values.data(), 1);
  if (c->conn == nullptr) co_return fail(std::string(kPgErrorConnection), "libpq out of memory");
  auto cannot_connect = [&] {
    return fail(std::string(kPgErrorConnection),
                "cannot connect to PostgreSQL: " + one_line(PQerrorMessage(c->conn)));
  };
  if (PQstatus(c->conn) == CONNECTION_BAD) co_return cannot_connect();
  auto deadline = Clock::now() + std::chrono::milliseconds(config.connect_timeout_ms);
  PostgresPollingStatusType status = PGRES_POLLING_WRITING;
  while (status != PGRES_POLLING_OK) {
    if (status == PGRES_POLLING_FAILED) co_return cannot_connect();
    // libpq may have moved to another socket (next address or host): watch the current one.
    if (Result<void> watched = c->watch_socket(); !watched) {
      co_return std::unexpected(watched.error());
    }
    Result<Ready> ready = co_await c->wait(status == PGRES_POLLING_READING,
                                           status == PGRES_POLLING_WRITING, deadline);
    if (!ready) {
      if (ready.error().code == kPgErrorTimeout) {
        co_return fail(std::string(kPgErrorTimeout),
                       fmt::format("connecting to PostgreSQL took longer than {} ms",
                                   config.connect_timeout_ms));
      }
      co_return std::unexpected(ready.error());
    }
    status = PQconnectPoll(c->conn);
  }
  if (PQsetnonblocking(c->conn, 1) != 0) co_return cannot_connect();
  PQsetNoticeReceiver(c->conn, &PgConnection::notice_receiver, c.get());
  if (Result<void> watched = c->watch_socket(); !watched) {
    co_return std::unexpected(watched.error());
  }
  co_return c;
}

// ---- the pool

// A caller waiting for a connection. The releaser hands over a connection (or, when it closed
// one, the right to open a new one) under the pool's mutex, then signals the channel. A waiter
// that goes away without claiming what it was granted gives it back.
struct PgWaiter {
  PgWaiter(const asio::any_io_executor& executor, std::weak_ptr<PgPoolState> owner)
      : signal(executor, 1), pool(std::move(owner)) {}
  ~PgWaiter();
  asio::experimental::concurrent_channel<void(error_code)> signal;
  std::weak_ptr<PgPoolState> pool;
  bool granted = false;
  bool claimed = false;
  std::unique_ptr<PgConnection> conn;  // null with `granted`: open one yourself
};

struct PgPoolState {
  asio::any_io_executor executor;
  PgConfig config;
  std::string options;  // server settings sent at connect

  mutable std::mutex mutex;
  std::vector<std::unique_ptr<PgConnection>> idle;
  int open = 0;  // connections open or being opened, idle or leased
  std::deque<std::shared_ptr<PgWaiter>> waiters;

  // Takes back a leased connection, or (null) the place of one that was closed or never opened.
  void give_back(std::unique_ptr<PgConnection> conn) {
    std::unique_ptr<PgConnection> doomed;
    bool reusable = conn && !conn->broken && PQstatus(conn->conn) == CONNECTION_OK &&
                    PQtransactionStatus(conn->conn) == PQTRANS_IDLE &&
                    PQpipelineStatus(conn->conn) == PQ_PIPELINE_OFF;
    if (!reusable) doomed = std::move(conn);
    std::shared_ptr<PgWaiter> waiter;  // released outside the lock
    {
      std::lock_guard lock(mutex);
      if (!waiters.empty()) {
        waiter = std::move(waiters.front());
        waiters.pop_front();
        waiter->granted = true;
        waiter->conn = std::move(conn);
        waiter->signal.try_send(error_code{});
      } else if (conn) {
        idle.push_back(std::move(conn));
      } else {
        --open;
      }
    }
  }
};

PgWaiter::~PgWaiter() {
  if (granted && !claimed) {
    if (auto owner = pool.lock()) owner->give_back(std::move(conn));
  }
}

PgConn::PgConn(std::shared_ptr<PgPoolState> pool, std::unique_ptr<PgConnection> conn)
    : pool_(std::move(pool)), conn_(std::move(conn)) {}

PgConn::PgConn(PgConn&& other) noexcept = default;

PgConn& PgConn::operator=(PgConn&& other) noexcept {
  if (this != &other) {
    release();
    pool_ = std::move(other.pool_);
    conn_ = std::move(other.conn_);
  }
  return *this;
}

PgConn::~PgConn() {
  release();
}

void PgConn::release() {
  if (pool_ && conn_) pool_->give_back(std::move(conn_));
  pool_.reset();
}

awaitable<Result<PgResult>> PgConn::query_params(std::string sql, std::vector<PgParam> params) {
  co_return co_await conn_->query(sql, params);
}

awaitable<Result<std::vector<PgResult>>> PgConn::pipeline(std::vector<PgStatement> statements) {
  co_return co_await conn_->pipeline(statements);
}

awaitable<Result<void>> PgConn::execute_script(std::string sql) {
  co_return co_await conn_->script(sql);
}

bool PgConn::in_transaction() const {
  auto status = PQtransactionStatus(conn_->conn);
  return status == PQTRANS_INTRANS || status == PQTRANS_INERROR;
}

awaitable<Result<void>> PgConn::begin(PgIsolation isolation) {
  conn_->saw_retryable = false;
  const char* sql = "BEGIN ISOLATION LEVEL READ COMMITTED";
  if (isolation == PgIsolation::kRepeatableRead) sql = "BEGIN ISOLATION LEVEL REPEATABLE READ";
  if (isolation == PgIsolation::kSerializable) sql = "BEGIN ISOLATION LEVEL SERIALIZABLE";
  co_return co_await conn_->script(sql);
}

awaitable<Result<void>> PgConn::finish(bool commit) {
  PgConnection& c = *conn_;
  if (Result<void> ok = c.usable(); !ok) {
    // The server rolls back a transaction whose connection went away.
    co_return fail(std::string(kPgErrorConnection),
                   "PostgreSQL connection lost inside a transaction; it was rolled back");
  }
  PGTransactionStatusType status = PQtransactionStatus(c.conn);
  if (!commit) {
    if (status == PQTRANS_INTRANS || status == PQTRANS_INERROR) co_await c.script("ROLLBACK");
    co_return Result<void>{};
  }
  if (status == PQTRANS_INERROR) {
    co_await c.script("ROLLBACK");
    co_return fail(std::string(kPgErrorTransactionAborted),
                   "a statement failed inside the transaction, so it was rolled back");
  }
  co_return co_await c.script("COMMIT");
}

bool PgConn::should_retry(const Error& error) const {
  if (conn_->broken) return false;
  return is_retryable_code(error.code) || conn_->saw_retryable;
}

awaitable<void> PgConn::retry_pause(int attempt) {
  thread_local std::minstd_rand random(std::random_device{}());
  std::uniform_int_distribution<int> pause_ms(0, attempt * kPgRetryPauseMs);
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(std::chrono::milliseconds(pause_ms(random)));
  co_await timer.async_wait(asio::use_awaitable);
}

Result<void> check_config(const PgConfig& config) {
  if (config.url.empty()) return fail(std::string(kPgErrorConfig), "PostgreSQL URL is empty");
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(config.url.c_str(), &error);
  if (parsed == nullptr) {
    std::string message = error != nullptr ? one_line(error) : "out of memory";
    if (error != nullptr) PQfreemem(error);
    return fail(std::string(kPgErrorConfig), "bad PostgreSQL URL: " + message);
  }
  PQconninfoFree(parsed);
  if (config.max_connections < 1 || config.max_connections > kPgPoolConnectionsMax) {
    return fail(std::string(kPgErrorConfig),
                fmt::format("max_connections must be 1..{}", kPgPoolConnectionsMax));
  }
  for (int ms : {config.acquire_timeout_ms, config.connect_timeout_ms, config.query_timeout_ms}) {
    if (ms < 1 || ms > kPgTimeoutMaxMs) {
      return fail(std::string(kPgErrorConfig),
                  fmt::format("PostgreSQL timeouts must be 1..{} ms", kPgTimeoutMaxMs));
    }
  }
  return {};
}

Result<PgPool> PgPool::create(asio::any_io_executor executor, PgConfig config) {
  if (Result<void> checked = check_config(config); !checked) {
    return std::unexpected(std::move(checked.error()));
  }
  auto pool = std::make_shared<PgPoolState>();
  pool->executor = std::move(executor);
  pool->options = fmt::format("-c statement_timeout={} -c TimeZone=UTC", config.query_timeout_ms);
  pool->config = std::move(config);
  return PgPool(std::move(pool));
}

awaitable<Result<PgConn>> PgPool::acquire() {
  using asio::experimental::make_parallel_group;
  using asio::experimental::wait_for_one;
  std::shared_ptr<PgPoolState> pool = pool_;  // outlives this handle if need be
  auto deadline = Clock::now() + std::chrono::milliseconds(pool->config.acquire_timeout_ms);
  std::unique_ptr<PgConnection> conn;
  bool may_open = false;
  std::shared_ptr<PgWaiter> waiter;
  {
    std::lock_guard lock(pool->mutex);
    if (!pool->idle.empty()) {
      conn = std::move(pool->idle.back());
      pool->idle.pop_back();
    } else if (pool->open < pool->config.max_connections) {
      ++pool->open;
      may_open = true;
    } else if (pool->waiters.size() < kPgPoolWaitersMax) {
      waiter = std::make_shared<PgWaiter>(pool->executor, pool);
      pool->waiters.push_back(waiter);
    }
  }
  auto exhausted = [&] {
    return fail(std::string(kPgErrorPoolExhausted),
                fmt::format("no PostgreSQL connection became free within {} ms ({} in use)",
                            pool->config.acquire_timeout_ms, pool->config.max_connections));
  };
  if (!conn && !may_open && !waiter) co_return exhausted();
  if (waiter) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_at(deadline);
    co_await make_parallel_group(waiter->signal.async_receive(asio::deferred),
                                 timer.async_wait(asio::deferred))
        .async_wait(wait_for_one(), asio::use_awaitable);
    std::lock_guard lock(pool->mutex);
    if (!waiter->granted) {
      std::erase(pool->waiters, waiter);
      co_return exhausted();
    }
    waiter->claimed = true;
    conn = std::move(waiter->conn);
    may_open = !conn;
  }
  if (conn && !conn->still_alive()) {
    // Keep its place in the pool for the replacement.
    conn.reset();
    may_open = true;
  }
  if (may_open) {
    Result<std::unique_ptr<PgConnection>> opened =
        co_await open_connection(pool->executor, pool->config, pool->options);
    if (!opened) {
      pool->give_back(nullptr);  // frees the place (or hands it to a waiter)
      co_return std::unexpected(opened.error());
    }
    conn = std::move(*opened);
  }
  co_return PgConn(pool, std::move(conn));
}

awaitable<Result<PgResult>> PgPool::query_params(std::string sql, std::vector<PgParam> params) {
  Result<PgConn> conn = co_await acquire();
  if (!conn) co_return std::unexpected(conn.error());
  co_return co_await conn->query_params(std::move(sql), std::move(params));
}

awaitable<Result<std::vector<PgResult>>> PgPool::pipeline(std::vector<PgStatement> statements) {
  Result<PgConn> conn = co_await acquire();
  if (!conn) co_return std::unexpected(conn.error());
  co_return co_await conn->pipeline(std::move(statements));
}

PgPoolStats PgPool::stats() const {
  std::lock_guard lock(pool_->mutex);
  return PgPoolStats{pool_->open, static_cast<int>(pool_->idle.size()),
                     static_cast<int>(pool_->waiters.size())};
}

const PgConfig& PgPool::config() const {
  return pool_->config;
}

}  // namespace rafiki::store
