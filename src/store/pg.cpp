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

namespace rafiki::store {

namespace asio = boost::asio;
using asio::awaitable;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

// Longest timeout a PgConfig may ask for (one day): a guard against unit mistakes.
constexpr int kPgTimeoutMaxMs = 24 * 60 * 60 * 1000;
// Addresses of a resolved host name that libpq is given to try, in order.
constexpr std::size_t kPgHostAddressesMax = 8;

struct PgResultAccess {
  static PgResult wrap(PGresult* res) {
    return PgResult(
        std::shared_ptr<const void>(static_cast<const PGresult*>(res),
                                    [](const PGresult* p) { PQclear(const_cast<PGresult*>(p)); }));
  }
};

namespace {

// libpq messages end in newlines and may span lines (one per host tried).
std::string one_line(const char* message) {
  std::string out;
  for (const char* p = message; p != nullptr && *p != '\0'; ++p) {
    if (*p == '\n') {
      if (!out.empty() && p[1] != '\0') out += "; ";
    } else {
      out += *p;
    }
  }
  return out;
}

bool is_retryable_code(std::string_view code) {
  return code == kPgSerializationFailure || code == kPgDeadlockDetected;
}

enum class Ready { kRead, kWrite };

}  // namespace

// One libpq connection and the Asio objects that watch it.
struct PgConnection {
  PgConnection(asio::any_io_executor executor, int statement_timeout_ms)
      : socket(executor), timer(executor), query_timeout_ms(statement_timeout_ms) {}
  ~PgConnection() {
    error_code ignored;
    socket.close(ignored);
    if (conn != nullptr) PQfinish(conn);
  }
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  PGconn* conn = nullptr;
  asio::posix::stream_descriptor socket;  // a dup of PQsocket(conn)
  asio::steady_timer timer;               // deadline of the operation under way
  int query_timeout_ms;
  bool broken = false;         // never reuse: lost, timed out, or left mid-protocol
  bool saw_retryable = false;  // a 40001 / 40P01 since the last BEGIN

  Clock::time_point query_deadline() const {
    return Clock::now() + std::chrono::milliseconds(query_timeout_ms + kPgClientTimeoutSlackMs);
  }

  std::unexpected<Error> lost() {
    broken = true;
    return fail(std::string(kPgErrorConnection),
                "PostgreSQL connection lost: " + one_line(PQerrorMessage(conn)));
  }

  Error server_error(const PGresult* res) {
    const char* sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    std::string message = one_line(primary != nullptr ? primary : PQresultErrorMessage(res));
    if (sqlstate == nullptr) {
      // An error libpq made up itself: the connection is gone or out of step.
      broken = true;
      return Error{std::string(kPgErrorConnection), "PostgreSQL connection lost: " + message};
    }
    Error error{"pg." + std::string(sqlstate), std::move(message)};
    if (is_retryable_code(error.code)) saw_retryable = true;
    return error;
  }

  // Points `socket` at a fresh dup of libpq's current socket.
  Result<void> watch_socket() {
    error_code ec;
    socket.close(ec);
    int fd = PQsocket(conn);
    if (fd < 0) return fail(std::string(kPgErrorConnection), "PostgreSQL connection has no socket");
    int mine = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (mine < 0) {
      return fail(std::string(kPgErrorConnection),
                  std::string("cannot duplicate the PostgreSQL socket: ") + std::strerror(errno));
    }
    socket.assign(mine, ec);
    if (ec) {
      ::close(mine);
      return fail(std::string(kPgErrorConnection),
                  "cannot watch the PostgreSQL socket: " + ec.message());
    }
    return {};
  }

  // Waits until the socket is readable (or writable, when asked) or the deadline passes. A
  // timeout or a failed wait leaves the connection broken: libpq's state is unknown.
  awaitable<Result<Ready>> wait(bool read, bool write, Clock::time_point deadline) {
    using asio::experimental::make_parallel_group;
    using asio::experimental::wait_for_one;
    timer.expires_at(deadline);
    auto wait_for = [&](asio::posix::descriptor_base::wait_type type) {
      return socket.async_wait(type, asio::deferred);
    };
    std::size_t first = 0;
    error_code ec;
    Ready ready = read ? Ready::kRead : Ready::kWrite;
    if (read && write) {
      auto [order, ec_read, ec_write, ec_timer] =
          co_await make_parallel_group(wait_for(asio::posix::descriptor_base::wait_read),
                                       wait_for(asio::posix::descriptor_base::wait_write),
                                       timer.async_wait(asio::deferred))
              .async_wait(wait_for_one(), asio::use_awaitable);
      first = order[0] == 2 ? 1 : 0;
      ec = order[0] == 0 ? ec_read : ec_write;
      ready = order[0] == 0 ? Ready::kRead : Ready::kWrite;
    } else {
      auto [order, ec_socket, ec_timer] =
          co_await make_parallel_group(wait_for(read ? asio::posix::descriptor_base::wait_read
                                                     : asio::posix::descriptor_base::wait_write),
                                       timer.async_wait(asio::deferred))
              .async_wait(wait_for_one(), asio::use_awaitable);
      first = order[0];
      ec = ec_socket;
    }
    if (first == 1) {
      broken = true;
      co_return fail(std::string(kPgErrorTimeout), "PostgreSQL did not answer in time");
    }
    if (ec) {
      broken = true;
      co_return fail(std::string(kPgErrorConnection),
                     "waiting on the PostgreSQL socket failed: " + ec.message());
    }
    co_return ready;
  }

  // Sends what libpq has buffered, reading meanwhile so that neither side can block the other.
  awaitable<Result<void>> flush(Clock::time_point deadline) {
    for (;;) {
      int r = PQflush(conn);
      if (r == 0) co_return Result<void>{};
      if (r < 0) co_return lost();
      Result<Ready> ready = co_await wait(true, true, deadline);
      if (!ready) co_return std::unexpected(ready.error());
      if (*ready == Ready::kRead && PQconsumeInput(conn) == 0) co_return lost();
    }
  }

  // The next result of the command under way (nullptr when it is complete).
  awaitable<Result<PGresult*>> next_result(Clock::time_point deadline) {
    while (PQisBusy(conn) != 0) {
      Result<Ready> ready = co_await wait(true, false, deadline);
      if (!ready) co_return std::unexpected(ready.error());
      if (PQconsumeInput(conn) == 0) {
        broken = true;
        // libpq reports the loss (with the server's last words, if any) as a result.
        if (PQisBusy(conn) != 0) co_return lost();
      }
    }
    co_return PQgetResult(conn);
  }

  // Reads every result of one command into `slot` (the last successful one); the first error
  // is kept in `error`. Shared by single statements and by each statement of a pipeline.
  awaitable<Result<void>> drain_command(Clock::time_point deadline, PgResult& slot,
                                        std::optional<Error>& error) {
    for (;;) {
      Result<PGresult*> next = co_await next_result(deadline);
      if (!next) co_return std::unexpected(next.error());
      if (*next == nullptr) co_return Result<void>{};
      PgResult owned = PgResultAccess::wrap(*next);
      switch (PQresultStatus(*next)) {
        case PGRES_TUPLES_OK:
        case PGRES_COMMAND_OK:
        case PGRES_EMPTY_QUERY:
          slot = std::move(owned);
          break;
        case PGRES_FATAL_ERROR:
          if (!error) error = server_error(*next);
          break;
        case PGRES_PIPELINE_ABORTED:  // a statement after a failed one in a pipeline
          break;
        case PGRES_COPY_IN:
        case PGRES_COPY_OUT:
        case PGRES_COPY_BOTH:
          broken = true;
          co_return fail(std::string(kPgErrorUsage), "COPY is not supported");
        default:
          if (!error) error = Error{std::string(kPgErrorUsage), "unexpected PostgreSQL result"};
          break;
      }
    }
  }

  // Reads every result of one command; the first error wins, else the last result.
  awaitable<Result<PgResult>> collect(Clock::time_point deadline) {
    std::optional<Error> error;
    PgResult last;
    if (Result<void> drained = co_await drain_command(deadline, last, error); !drained)
      co_return std::unexpected(drained.error());
    if (PQstatus(conn) != CONNECTION_OK) broken = true;
    if (error) co_return std::unexpected(std::move(*error));
    co_return last;
  }

  static std::vector<const char*> values_of(const std::vector<PgParam>& params) {
    std::vector<const char*> values(params.size());
    for (std::size_t i = 0; i < params.size(); ++i) {
      values[i] = params[i].is_null() ? nullptr : params[i].text()->c_str();
    }
    return values;
  }

  Result<void> usable() {
    if (broken || PQstatus(conn) != CONNECTION_OK) {
      broken = true;
      return fail(std::string(kPgErrorConnection), "PostgreSQL connection is broken");
    }
    return {};
  }

  awaitable<Result<PgResult>> query(const std::string& sql, const std::vector<PgParam>& params) {
    if (params.size() > kPgParamsMax) {
      co_return fail(std::string(kPgErrorUsage), "too many statement parameters");
    }
    if (Result<void> ok = usable(); !ok) co_return std::unexpected(ok.error());
    auto deadline = query_deadline();
    std::vector<const char*> values = values_of(params);
    if (PQsendQueryParams(conn, sql.c_str(), static_cast<int>(params.size()), nullptr,
                          values.data(), nullptr, nullptr, 0) == 0) {
      co_return lost();
    }
    if (Result<void> sent = co_await flush(deadline); !sent)
      co_return std::unexpected(sent.error());
    co_return co_await collect(deadline);
  }

  awaitable<Result<void>> script(const std::string& sql) {
    if (Result<void> ok = usable(); !ok) co_return std::unexpected(ok.error());
    auto deadline = query_deadline();
    if (PQsendQuery(conn, sql.c_str()) == 0) co_return lost();
    if (Result<void> sent = co_await flush(deadline); !sent)
      co_return std::unexpected(sent.error());
    Result<PgResult> done = co_await collect(deadline);
    if (!done) co_return std::unexpected(done.error());
    co_return Result<void>{};
  }

  awaitable<Result<std::vector<PgResult>>> pipeline(const std::vector<PgStatement>& statements) {
    if (statements.size() > kPgPipelineStatementsMax) {
      co_return fail(std::string(kPgErrorUsage), "too many statements in one pipeline");
    }
    for (const auto& s : statements) {
      if (s.params.size() > kPgParamsMax) {
        co_return fail(std::string(kPgErrorUsage), "too many statement parameters");
      }
    }
    if (statements.empty()) co_return std::vector<PgResult>{};
    if (Result<void> ok = usable(); !ok) co_return std::unexpected(ok.error());
    auto deadline = query_deadline();
    if (PQenterPipelineMode(conn) == 0) co_return lost();
    // From here on an early return leaves the connection mid-pipeline: broken.
    broken = true;
    for (const auto& s : statements) {
      std::vector<const char*> values = values_of(s.params);
      if (PQsendQueryParams(conn, s.sql.c_str(), static_cast<int>(s.params.size()), nullptr,
                            values.data(), nullptr, nullptr, 0) == 0) {
        co_return lost();
      }
    }
    if (PQpipelineSync(conn) == 0) co_return lost();
    if (Result<void> sent = co_await flush(deadline); !sent)
      co_return std::unexpected(sent.error());

    std::vector<PgResult> results(statements.size());
    std::optional<Error> error;
    for (auto& slot : results) {
      if (Result<void> drained = co_await drain_command(deadline, slot, error); !drained)
        co_return std::unexpected(drained.error());
    }
    Result<PGresult*> sync = co_await next_result(deadline);
    if (!sync) co_return std::unexpected(sync.error());
    if (*sync == nullptr) co_return fail(std::string(kPgErrorUsage), "pipeline lost its sync");
    ExecStatusType sync_status = PQresultStatus(*sync);
    PQclear(*sync);
    if (sync_status != PGRES_PIPELINE_SYNC) {
      co_return fail(std::string(kPgErrorUsage), "pipeline lost its sync");
    }
    if (PQexitPipelineMode(conn) == 0) co_return lost();
    broken = PQstatus(conn) != CONNECTION_OK;
    if (error) co_return std::unexpected(std::move(*error));
    co_return results;
  }

  // Whether an idle connection is still good to use: the server may have closed it since
  // (restart, pg_terminate_backend, idle timeout), which shows as a FATAL notice or EOF.
  bool still_alive() {
    if (broken || PQstatus(conn) != CONNECTION_OK) return false;
    if (PQconsumeInput(conn) == 0) return false;
    PQisBusy(conn);  // parses what arrived; a FATAL message marks us broken (notice_receiver)
    if (broken || PQstatus(conn) != CONNECTION_OK) return false;
    char byte;
    ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) return false;  // the server closed it
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return false;
    return true;
  }

  static void notice_receiver(void* arg, const PGresult* res) {
    auto* self = static_cast<PgConnection*>(arg);
    const char* severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (severity != nullptr &&
        (std::strcmp(severity, "FATAL") == 0 || std::strcmp(severity, "PANIC") == 0)) {
      self->broken = true;  // the server is about to close this connection
    }
    spdlog::debug("postgres: {}", one_line(PQresultErrorMessage(res)));
  }
};

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

// Opens one connection, polling libpq's connect state machine on socket readiness.
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

}  // namespace

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

Result<PgPool> PgPool::create(asio::any_io_executor executor, PgConfig config) {
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
