// Internal to the store library (not installed with its public headers): one libpq connection
// in non-blocking mode driven by Asio, and how it is opened. Shared by the pool (pg.cpp) and
// the LISTEN/NOTIFY listener (listen.cpp), so that both open, watch and read connections the
// same way.
#pragma once

#include <libpq-fe.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/spdlog.h>

#include "base/errors.h"
#include "store/pg.h"

namespace rafiki::store {

namespace asio = boost::asio;
using asio::awaitable;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

struct PgResultAccess {
  static PgResult wrap(PGresult* res) {
    return PgResult(
        std::shared_ptr<const void>(static_cast<const PGresult*>(res),
                                    [](const PGresult* p) { PQclear(const_cast<PGresult*>(p)); }));
  }
};

// libpq messages end in newlines and may span lines (one per host tried).
inline std::string one_line(const char* message) {
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

inline bool is_retryable_code(std::string_view code) {
  return code == kPgSerializationFailure || code == kPgDeadlockDetected;
}

enum class Ready { kRead, kWrite };

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
  std::string fatal_message;   // what the server said when it ended the session, if it did

  Clock::time_point query_deadline() const {
    return Clock::now() + std::chrono::milliseconds(query_timeout_ms + kPgClientTimeoutSlackMs);
  }

  std::unexpected<Error> lost() {
    broken = true;
    std::string why = one_line(PQerrorMessage(conn));
    if (why.empty()) why = fatal_message;
    return fail(std::string(kPgErrorConnection), "PostgreSQL connection lost: " + why);
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

  // Parameters as libpq takes them; lengths and formats only when one of them is binary.
  struct Wire {
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
    const int* lengths_or_null() const { return formats.empty() ? nullptr : lengths.data(); }
    const int* formats_or_null() const { return formats.empty() ? nullptr : formats.data(); }
  };

  static Wire values_of(const std::vector<PgParam>& params) {
    Wire wire;
    wire.values.resize(params.size());
    bool any_binary = false;
    for (std::size_t i = 0; i < params.size(); ++i) {
      wire.values[i] = params[i].is_null() ? nullptr : params[i].text()->data();
      any_binary = any_binary || params[i].is_binary();
    }
    if (any_binary) {
      wire.lengths.resize(params.size());
      wire.formats.resize(params.size());
      for (std::size_t i = 0; i < params.size(); ++i) {
        wire.lengths[i] = params[i].is_null() ? 0 : static_cast<int>(params[i].text()->size());
        wire.formats[i] = params[i].is_binary() ? 1 : 0;
      }
    }
    return wire;
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
    Wire wire = values_of(params);
    if (PQsendQueryParams(conn, sql.c_str(), static_cast<int>(params.size()), nullptr,
                          wire.values.data(), wire.lengths_or_null(), wire.formats_or_null(),
                          0) == 0) {
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
      Wire wire = values_of(s.params);
      if (PQsendQueryParams(conn, s.sql.c_str(), static_cast<int>(s.params.size()), nullptr,
                            wire.values.data(), wire.lengths_or_null(), wire.formats_or_null(),
                            0) == 0) {
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
      self->fatal_message = one_line(PQresultErrorMessage(res));
    }
    spdlog::debug("postgres: {}", one_line(PQresultErrorMessage(res)));
  }
};

// Checks a PgConfig's URL syntax and bounds (kPgErrorConfig).
Result<void> check_config(const PgConfig& config);

// Opens one connection: resolves the host asynchronously, then polls libpq's connect state
// machine on socket readiness, within config.connect_timeout_ms. `options` are server settings
// sent at connect ("-c name=value ...").
awaitable<Result<std::unique_ptr<PgConnection>>> open_connection(asio::any_io_executor executor,
                                                                 const PgConfig& config,
                                                                 const std::string& options);

}  // namespace rafiki::store
