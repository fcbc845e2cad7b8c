// PostgreSQL LISTEN/NOTIFY: one dedicated connection per listener, opened and watched like the
// pool's (pg_connection.h), kept up with back-off until stop().
//
// Everything runs on a strand of the listener's executor. stop() moves a "stop" timer's expiry
// to the distant past, which completes every wait on it, now and later; each stage of the run
// (a connection's whole life, a back-off pause) is raced against that timer, and the loser is
// cancelled, so stop() never waits for a connect or a pause to finish.
#include "store/listen.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <algorithm>
#include <atomic>
#include <exception>
#include <random>

#include <fmt/format.h>

#include "store/pg_connection.h"

namespace rafiki::store {

struct PgListenerState {
  explicit PgListenerState(asio::any_io_executor executor)
      : strand(asio::make_strand(std::move(executor))), stop_signal(strand) {
    stop_signal.expires_at(Clock::time_point::max());
  }

  asio::strand<asio::any_io_executor> strand;
  PgConfig config;
  std::vector<std::string> channels;
  std::string listen_sql;  // LISTEN "a"; LISTEN "b"; ...
  std::string options;     // server settings sent at connect
  std::function<void(const PgNotification&)> on_notification;
  std::function<void()> on_resync;
  std::atomic<bool> connected{false};
  std::atomic<bool> stop_requested{false};
  // On the strand only:
  asio::steady_timer stop_signal;  // expires (at the distant past) on stop()
  int failures = 0;                // connection attempts failed or lost in a row
};

namespace {

using asio::experimental::make_parallel_group;
using asio::experimental::wait_for_one;

void request_stop(const std::shared_ptr<PgListenerState>& state) {
  state->stop_requested = true;
  asio::post(state->strand, [state] { state->stop_signal.expires_at(Clock::time_point::min()); });
}

// Marks the listener disconnected when a connection's life ends, however it ends.
struct ConnectedFlag {
  std::atomic<bool>& flag;
  ~ConnectedFlag() { flag = false; }
};

// One connection's life: open, LISTEN, resync, deliver notifications until the connection is
// lost (returned as the error). Exceptions from the callbacks propagate.
awaitable<Result<void>> session(std::shared_ptr<PgListenerState> state) {
  Result<std::unique_ptr<PgConnection>> opened =
      co_await open_connection(state->strand, state->config, state->options);
  if (!opened) co_return std::unexpected(std::move(opened.error()));
  PgConnection& c = **opened;
  if (Result<void> listening = co_await c.script(state->listen_sql); !listening) {
    co_return std::unexpected(std::move(listening.error()));
  }
  state->failures = 0;
  ConnectedFlag connected{state->connected};
  spdlog::info("postgres listener: listening on {} channel(s)", state->channels.size());
  if (state->on_resync) state->on_resync();
  state->connected = true;

  const auto ping_interval = std::chrono::milliseconds(kPgListenPingIntervalMs);
  auto next_ping = Clock::now() + ping_interval;
  for (;;) {
    // Deliver what has arrived; PQnotifies parses the input buffer first (a FATAL message from
    // a terminated backend is parsed here too, and marks the connection broken).
    while (PGnotify* raw = PQnotifies(c.conn)) {
      PgNotification notification{raw->relname != nullptr ? raw->relname : "",
                                  raw->extra != nullptr ? raw->extra : ""};
      PQfreemem(raw);
      if (state->on_notification) state->on_notification(notification);
    }
    if (c.broken || PQstatus(c.conn) != CONNECTION_OK) co_return c.lost();

    c.timer.expires_at(next_ping);
    auto [order, ec_socket, ec_timer] =
        co_await make_parallel_group(
            c.socket.async_wait(asio::posix::descriptor_base::wait_read, asio::deferred),
            c.timer.async_wait(asio::deferred))
            .async_wait(wait_for_one(), asio::use_awaitable);
    if (order[0] == 0) {
      if (ec_socket) {
        c.broken = true;
        co_return fail(std::string(kPgErrorConnection),
                       "waiting on the PostgreSQL socket failed: " + ec_socket.message());
      }
      if (PQconsumeInput(c.conn) == 0) co_return c.lost();
    } else {
      // Quiet for a while: make sure the connection is still there.
      if (Result<void> alive = co_await c.script("SELECT 1"); !alive) {
        co_return std::unexpected(std::move(alive.error()));
      }
      next_ping = Clock::now() + ping_interval;
    }
  }
}

// The pause before the next attempt after `failures` failures in a row (>= 1).
std::chrono::milliseconds backoff(int failures) {
  thread_local std::minstd_rand random(std::random_device{}());
  int ms = kPgListenRetryFirstMs;
  for (int i = 1; i < failures && ms < kPgListenRetryMaxMs; ++i) ms *= 2;
  ms = std::min(ms, kPgListenRetryMaxMs);
  std::uniform_int_distribution<int> jittered(ms / 2, ms);
  return std::chrono::milliseconds(jittered(random));
}

awaitable<void> run_on_strand(std::shared_ptr<PgListenerState> state) {
  while (!state->stop_requested) {
    auto [order, session_error, result, stop_ec] =
        co_await make_parallel_group(asio::co_spawn(state->strand, session(state), asio::deferred),
                                     state->stop_signal.async_wait(asio::deferred))
            .async_wait(wait_for_one(), asio::use_awaitable);
    (void)stop_ec;
    if (order[0] == 1 || state->stop_requested) break;
    if (session_error) std::rethrow_exception(session_error);  // from a callback
    ++state->failures;
    auto pause = backoff(state->failures);
    spdlog::warn("postgres listener: {} ({}); retrying in {} ms", result.error().message,
                 result.error().code, pause.count());
    asio::steady_timer timer(state->strand);
    timer.expires_after(pause);
    auto [pause_order, pause_ec, stop_ec2] =
        co_await make_parallel_group(timer.async_wait(asio::deferred),
                                     state->stop_signal.async_wait(asio::deferred))
            .async_wait(wait_for_one(), asio::use_awaitable);
    (void)pause_order;
    (void)pause_ec;
    (void)stop_ec2;
  }
  state->connected = false;
}

bool is_identifier_char(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
         ch == '_';
}

}  // namespace

Result<void> check_channel(std::string_view channel) {
  if (channel.empty() || channel.size() > kPgChannelNameMax) {
    return fail(std::string(kPgErrorUsage),
                fmt::format("a channel name must be 1..{} characters", kPgChannelNameMax));
  }
  if (!std::all_of(channel.begin(), channel.end(), is_identifier_char) ||
      (channel.front() >= '0' && channel.front() <= '9')) {
    return fail(std::string(kPgErrorUsage),
                "a channel name may only contain letters, digits and '_', and may not start "
                "with a digit");
  }
  return {};
}

Result<std::shared_ptr<PgListener>> PgListener::create(asio::any_io_executor executor,
                                                       PgConfig config,
                                                       std::vector<std::string> channels) {
  if (Result<void> checked = check_config(config); !checked) {
    return std::unexpected(std::move(checked.error()));
  }
  auto state = std::make_shared<PgListenerState>(std::move(executor));
  for (auto& channel : channels) {
    if (Result<void> ok = check_channel(channel); !ok) {
      return fail(std::string(kPgErrorConfig), ok.error().message);
    }
    if (std::find(state->channels.begin(), state->channels.end(), channel) ==
        state->channels.end()) {
      state->channels.push_back(std::move(channel));
    }
  }
  if (state->channels.empty() || state->channels.size() > kPgListenChannelsMax) {
    return fail(std::string(kPgErrorConfig),
                fmt::format("a listener needs 1..{} channels", kPgListenChannelsMax));
  }
  for (const auto& channel : state->channels) {
    // check_channel allows no '"', so quoting is just the quotes.
    state->listen_sql += fmt::format("LISTEN \"{}\";", channel);
  }
  state->options = fmt::format("-c statement_timeout={} -c application_name={}",
                               config.query_timeout_ms, kPgListenApplicationName);
  state->config = std::move(config);
  return std::shared_ptr<PgListener>(new PgListener(std::move(state)));
}

PgListener::~PgListener() {
  request_stop(state_);
}

void PgListener::on_notification(std::function<void(const PgNotification&)> fn) {
  state_->on_notification = std::move(fn);
}

void PgListener::on_resync(std::function<void()> fn) {
  state_->on_resync = std::move(fn);
}

awaitable<void> PgListener::run() {
  // Not a coroutine itself: the state is copied now, so run() does not need `this` later.
  auto state = state_;
  return asio::co_spawn(state->strand, run_on_strand(state), asio::use_awaitable);
}

void PgListener::stop() {
  request_stop(state_);
}

bool PgListener::connected() const {
  return state_->connected;
}

awaitable<Result<void>> notify(PgConn& conn, std::string_view channel, std::string_view payload) {
  if (Result<void> ok = check_channel(channel); !ok) co_return std::unexpected(ok.error());
  if (payload.size() > kPgNotifyPayloadMax) {
    co_return fail(
        std::string(kPgErrorUsage),
        fmt::format("a notification payload may be at most {} bytes", kPgNotifyPayloadMax));
  }
  auto params = std::vector<PgParam>{PgParam(channel), PgParam(payload)};
  Result<PgResult> sent = co_await conn.query_params("SELECT pg_notify($1, $2)", std::move(params));
  if (!sent) co_return std::unexpected(std::move(sent.error()));
  co_return Result<void>{};
}

awaitable<Result<void>> notify(PgPool& pool, std::string_view channel, std::string_view payload) {
  Result<PgConn> conn = co_await pool.acquire();
  if (!conn) co_return std::unexpected(std::move(conn.error()));
  co_return co_await notify(*conn, channel, payload);
}

}  // namespace rafiki::store
