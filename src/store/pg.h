// PostgreSQL: an asynchronous connection pool over libpq in non-blocking mode, driven by Asio
// socket readiness, so no event-loop thread ever blocks on the database. Queries are
// parameterised only (parameters travel as text, typed on the C++ side); rows are read with
// typed accessors; transactions retry on serialization failure and deadlock; the pool is bounded
// and a caller waits a bounded time for a connection. A connection found broken is discarded and
// replaced; a statement that was in flight when its connection died is reported as an error and
// never silently re-run.
//
// Failures are values: Error::code is "pg.<SQLSTATE>" for an error the server reported (e.g.
// "pg.23505" unique violation) with the server's primary message, or one of the kPgError* codes
// below for failures on our side of the wire.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/errors.h"
#include "base/money.h"
#include "base/time.h"
#include "base/uuid.h"

namespace rafiki::store {

// Limits.
constexpr int kPgPoolConnectionsMax = 1000;       // max_connections above this is refused
constexpr std::size_t kPgPoolWaitersMax = 10000;  // callers queued for a connection
constexpr int kPgTransactionAttemptsMax = 5;      // first try + retries on 40001 / 40P01
constexpr int kPgRetryPauseMs = 5;                // pause before retry n is up to n * this
constexpr std::size_t kPgParamsMax = 65535;       // the protocol's bound per statement
constexpr std::size_t kPgPipelineStatementsMax = 10000;
// The server cancels a statement after query_timeout_ms (statement_timeout); we give up on the
// connection this much later, for a server or network that stopped answering.
constexpr int kPgClientTimeoutSlackMs = 1000;

// Codes for failures on our side of the wire.
inline constexpr std::string_view kPgErrorConfig = "pg.config";          // bad PgConfig
inline constexpr std::string_view kPgErrorConnection = "pg.connection";  // connect failed or lost
inline constexpr std::string_view kPgErrorTimeout = "pg.timeout";        // no answer in time
inline constexpr std::string_view kPgErrorPoolExhausted = "pg.pool_exhausted";
inline constexpr std::string_view kPgErrorUsage = "pg.usage";  // e.g. too many params
inline constexpr std::string_view kPgErrorTransactionAborted = "pg.transaction_aborted";
// Server errors callers commonly branch on.
inline constexpr std::string_view kPgUniqueViolation = "pg.23505";
inline constexpr std::string_view kPgForeignKeyViolation = "pg.23503";
inline constexpr std::string_view kPgCheckViolation = "pg.23514";
inline constexpr std::string_view kPgSerializationFailure = "pg.40001";
inline constexpr std::string_view kPgDeadlockDetected = "pg.40P01";
inline constexpr std::string_view kPgQueryCanceled = "pg.57014";  // incl. statement_timeout

struct PgConfig {
  std::string url;  // postgresql://user:password@host:port/dbname?...
  int max_connections = 10;
  int acquire_timeout_ms = 5000;  // wait for a free connection, then kPgErrorPoolExhausted
  int connect_timeout_ms = 5000;  // per new connection
  int query_timeout_ms = 30000;   // per statement (server-side statement_timeout)
};

enum class PgIsolation { kReadCommitted, kRepeatableRead, kSerializable };

// One statement parameter, as text (NULL when empty). Built implicitly from the supported
// types: strings, integers, bool, double, money::u128 (decimal, for numeric(39,0)), Uuid,
// TimePoint (RFC 3339, for timestamptz), bytes (bytea), std::optional of those, std::nullopt.
// PgParam::binary passes bytes already in PostgreSQL's binary format of the parameter's type
// (store/pg_binary.h builds arrays), which the SQL must name with a cast (`$1::uuid[]`).
class PgParam {
 public:
  PgParam(std::nullopt_t) {}
  PgParam(const char* v) : text_(std::string(v)) {}
  PgParam(std::string_view v) : text_(std::string(v)) {}
  PgParam(const std::string& v) : text_(v) {}
  PgParam(std::string&& v) : text_(std::move(v)) {}
  PgParam(bool v) : text_(v ? "t" : "f") {}
  template <class I>
  requires(std::is_integral_v<I> && !std::is_same_v<I, bool> && !std::is_same_v<I, char>)
      PgParam(I v)
      : text_(std::to_string(v)) {}
  PgParam(double v);
  PgParam(money::u128 v);
  PgParam(const Uuid& v);
  PgParam(TimePoint v);
  PgParam(ByteView v);
  PgParam(const Bytes& v) : PgParam(ByteView(v)) {}
  template <class T>
  PgParam(const std::optional<T>& v) : PgParam(std::nullopt) {
    if (v) *this = PgParam(*v);
  }

  static PgParam binary(std::string bytes) {
    PgParam p(std::move(bytes));
    p.binary_ = true;
    return p;
  }

  bool is_null() const { return !text_.has_value(); }
  bool is_binary() const { return binary_; }
  // The text, or the binary value's bytes.
  const std::optional<std::string>& text() const { return text_; }

 private:
  std::optional<std::string> text_;
  bool binary_ = false;
};

// A statement for PgConn::pipeline.
struct PgStatement {
  std::string sql;
  std::vector<PgParam> params;
};

// One row of a PgResult; valid while that PgResult (or a copy) lives.
//
// get<T>(col) reads column `col` (index or name) as T: std::string, std::string_view (into the
// result), int64_t, int32_t, bool, double, money::u128 (numeric text), Uuid, TimePoint, Bytes
// (bytea), or std::optional<T> of those (nullopt for NULL). The SQL decides a column's type, so
// reading a NULL into a non-optional, text that does not parse as T, or a column that does not
// exist is a programming error and throws std::logic_error naming the column.
class PgRow {
 public:
  bool is_null(int col) const;
  bool is_null(std::string_view name) const { return is_null(index(name)); }
  std::string_view text(int col) const;  // raw text; "" for NULL

  template <class T>
  T get(int col) const {
    if constexpr (IsOptional<T>::value) {
      if (is_null(col)) return std::nullopt;
      return get<typename T::value_type>(col);
    } else {
      T value{};
      read(col, value);
      return value;
    }
  }
  template <class T>
  T get(std::string_view name) const {
    return get<T>(index(name));
  }

 private:
  friend class PgResult;
  PgRow(const void* res, int row) : res_(res), row_(row) {}

  template <class T>
  struct IsOptional : std::false_type {};
  template <class T>
  struct IsOptional<std::optional<T>> : std::true_type {};

  int index(std::string_view name) const;  // throws std::logic_error when absent
  void read(int col, std::string& out) const;
  void read(int col, std::string_view& out) const;
  void read(int col, std::int64_t& out) const;
  void read(int col, std::int32_t& out) const;
  void read(int col, bool& out) const;
  void read(int col, double& out) const;
  void read(int col, money::u128& out) const;
  void read(int col, Uuid& out) const;
  void read(int col, TimePoint& out) const;
  void read(int col, Bytes& out) const;
  const char* checked_value(int col, const char* type) const;

  const void* res_;
  int row_;
};

// The outcome of one statement: its rows (if any) and how many rows it changed. Cheap to copy
// (shared, immutable).
class PgResult {
 public:
  PgResult() = default;

  int rows() const;
  int columns() const;
  bool empty() const { return rows() == 0; }
  PgRow row(int i) const { return PgRow(res_.get(), i); }  // 0 <= i < rows()
  PgRow operator[](int i) const { return row(i); }
  std::optional<int> column(std::string_view name) const;
  // Rows inserted, updated or deleted (the command tag's count); 0 for other statements.
  std::int64_t affected_rows() const;

  class Iterator {
   public:
    PgRow operator*() const { return PgRow(res_, i_); }
    Iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator==(const Iterator&) const = default;

   private:
    friend class PgResult;
    Iterator(const void* res, int i) : res_(res), i_(i) {}
    const void* res_;
    int i_;
  };
  Iterator begin() const { return Iterator(res_.get(), 0); }
  Iterator end() const { return Iterator(res_.get(), rows()); }

 private:
  friend struct PgResultAccess;
  explicit PgResult(std::shared_ptr<const void> res) : res_(std::move(res)) {}
  std::shared_ptr<const void> res_;  // a libpq PGresult, cleared with the last copy
};

struct PgConnection;
struct PgPoolState;
class PgPool;

// A connection leased from the pool; it goes back to the pool (or, if it broke or was left
// inside a transaction, is closed) when this object is destroyed. One coroutine at a time.
class PgConn {
 public:
  PgConn(PgConn&&) noexcept;
  PgConn& operator=(PgConn&&) noexcept;
  ~PgConn();

  // One statement with $1..$n parameters. Fails with the server's error ("pg.<SQLSTATE>"),
  // kPgErrorConnection if the connection broke (the statement may or may not have run),
  // kPgErrorTimeout, or kPgErrorUsage (more than kPgParamsMax parameters).
  template <class... P>
  boost::asio::awaitable<Result<PgResult>> query(std::string sql, P&&... params) {
    return query_params(std::move(sql), std::vector<PgParam>{PgParam(std::forward<P>(params))...});
  }
  boost::asio::awaitable<Result<PgResult>> query_params(std::string sql,
                                                        std::vector<PgParam> params);

  // Several parameterised statements in one round trip (libpq pipeline mode). Outside an
  // explicit transaction they run in one implicit transaction: all or nothing. The first
  // failing statement's error is returned; the results are in statement order.
  boost::asio::awaitable<Result<std::vector<PgResult>>> pipeline(
      std::vector<PgStatement> statements);

  // SQL text of one or more statements without parameters (simple protocol), e.g. a
  // migration file. Fails like query().
  boost::asio::awaitable<Result<void>> execute_script(std::string sql);

  // True while a transaction block is open (or aborted) on this connection.
  bool in_transaction() const;

 private:
  friend class PgPool;
  PgConn(std::shared_ptr<PgPoolState> pool, std::unique_ptr<PgConnection> conn);
  void release();

  boost::asio::awaitable<Result<void>> begin(PgIsolation isolation);
  // Commits when `commit` (or rolls back an aborted transaction and fails), else rolls back.
  boost::asio::awaitable<Result<void>> finish(bool commit);
  // Whether a failed attempt should run again: serialization failure or deadlock seen on this
  // connection during the attempt, and the connection still usable.
  bool should_retry(const Error& error) const;
  boost::asio::awaitable<void> retry_pause(int attempt);

  std::shared_ptr<PgPoolState> pool_;
  std::unique_ptr<PgConnection> conn_;
};

namespace detail {
template <class A>
struct AwaitedResult;
template <class T>
struct AwaitedResult<boost::asio::awaitable<Result<T>>> {
  using type = T;
};
}  // namespace detail

struct PgPoolStats {
  int open = 0;     // connections open or being opened
  int idle = 0;     // of which waiting in the pool
  int waiting = 0;  // callers waiting for a connection
};

// The pool. Cheap to copy (a handle); connections open lazily, up to max_connections.
class PgPool {
 public:
  // Checks the configuration (URL syntax, bounds); connects nothing yet.
  static Result<PgPool> create(boost::asio::any_io_executor executor, PgConfig config);

  // A connection, waiting at most acquire_timeout_ms for one to be free (kPgErrorPoolExhausted)
  // and connect_timeout_ms to open one (kPgErrorConnection / kPgErrorTimeout).
  boost::asio::awaitable<Result<PgConn>> acquire();

  // One statement on a pooled connection; see PgConn::query.
  template <class... P>
  boost::asio::awaitable<Result<PgResult>> query(std::string sql, P&&... params) {
    return query_params(std::move(sql), std::vector<PgParam>{PgParam(std::forward<P>(params))...});
  }
  boost::asio::awaitable<Result<PgResult>> query_params(std::string sql,
                                                        std::vector<PgParam> params);
  boost::asio::awaitable<Result<std::vector<PgResult>>> pipeline(
      std::vector<PgStatement> statements);

  // Runs `fn(PgConn&) -> awaitable<Result<T>>` inside BEGIN ... COMMIT at `isolation`. An error
  // from fn rolls back and is returned. On serialization failure or deadlock (in fn or at
  // COMMIT) the whole of fn runs again, up to kPgTransactionAttemptsMax times in all, so fn must
  // have no effects outside the transaction. If fn succeeds but left the transaction aborted
  // (it ignored a failed statement), it is rolled back: kPgErrorTransactionAborted. A COMMIT
  // whose outcome is unknown (connection lost) is reported, never retried.
  template <class F,
            class T = typename detail::AwaitedResult<std::invoke_result_t<F&, PgConn&>>::type>
  boost::asio::awaitable<Result<T>> transaction(
      F fn, PgIsolation isolation = PgIsolation::kReadCommitted);

  PgPoolStats stats() const;
  const PgConfig& config() const;

 private:
  explicit PgPool(std::shared_ptr<PgPoolState> pool) : pool_(std::move(pool)) {}
  std::shared_ptr<PgPoolState> pool_;
};

template <class F, class T>
boost::asio::awaitable<Result<T>> PgPool::transaction(F fn, PgIsolation isolation) {
  Result<PgConn> conn = co_await acquire();
  if (!conn) co_return std::unexpected(std::move(conn.error()));
  for (int attempt = 1;; ++attempt) {
    if (Result<void> begun = co_await conn->begin(isolation); !begun) {
      co_return std::unexpected(std::move(begun.error()));
    }
    Result<T> result = co_await fn(*conn);
    Result<void> ended = co_await conn->finish(result.has_value());
    if (result && ended) co_return result;
    Error error = result ? std::move(ended.error()) : std::move(result.error());
    if (attempt >= kPgTransactionAttemptsMax || !conn->should_retry(error)) {
      co_return std::unexpected(std::move(error));
    }
    co_await conn->retry_pause(attempt);
  }
}

}  // namespace rafiki::store
