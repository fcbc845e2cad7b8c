// PostgreSQL LISTEN/NOTIFY, for keeping in-memory caches correct across processes: a process
// that changes a row sends a notification (notify(), in the same transaction as the change or
// after it), and every process holding a PgListener on that channel drops its cached copy.
//
// A PgListener owns one dedicated connection (outside any pool), LISTENs on its channels and
// reconnects with bounded back-off when the connection is lost. Notifications sent while it was
// disconnected are lost for good, so after every (re)connect, once LISTEN is active, it calls
// on_resync: the owner drops its whole cache. While disconnected, connected() is false and a
// cache must not be trusted (read the database instead).
//
// Usage:
//   auto listener = PgListener::create(executor, config, {"wallet_address"});
//   (*listener)->on_notification([&](const PgNotification& n) { cache.erase(n.payload); });
//   (*listener)->on_resync([&] { cache.clear(); });
//   co_spawn(executor, (*listener)->run(), detached);
//   ...
//   (*listener)->stop();
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/errors.h"
#include "store/pg.h"

namespace rafiki::store {

// Limits.
constexpr std::size_t kPgChannelNameMax = 63;      // bytes; PostgreSQL's identifier length
constexpr std::size_t kPgListenChannelsMax = 100;  // channels per listener
constexpr std::size_t kPgNotifyPayloadMax = 7999;  // bytes; the server refuses 8000 and more
// Reconnect back-off: the first retry waits about kPgListenRetryFirstMs, each further failure
// doubles the wait, up to kPgListenRetryMaxMs (each wait is jittered down by up to half).
constexpr int kPgListenRetryFirstMs = 100;
constexpr int kPgListenRetryMaxMs = 5000;
// An idle listener checks its connection (SELECT 1) this often, so that a connection lost
// without a word (network gone, server host down) is noticed within about this time plus
// query_timeout_ms.
constexpr int kPgListenPingIntervalMs = 30000;
// The listener's connection shows as this in pg_stat_activity.application_name.
inline constexpr std::string_view kPgListenApplicationName = "rafiki_listener";

struct PgNotification {
  std::string channel;
  std::string payload;
};

// Whether `channel` is a channel name we accept: 1..kPgChannelNameMax characters of
// [A-Za-z0-9_], not starting with a digit. Names are case-sensitive (LISTEN quotes them).
Result<void> check_channel(std::string_view channel);

struct PgListenerState;

// Non-copyable, held by shared_ptr. Destroying the last handle stops the listener; run() keeps
// what it needs alive by itself.
//
// Threading: everything the listener does, including calling the callbacks, happens on a strand
// of the executor given to create(), one call at a time. Set the callbacks before run() starts.
// connected() and stop() may be called from any thread.
class PgListener {
 public:
  // Checks the configuration (as PgPool::create) and the channels (check_channel; 1 to
  // kPgListenChannelsMax of them; duplicates are merged): kPgErrorConfig. Connects nothing yet.
  static Result<std::shared_ptr<PgListener>> create(boost::asio::any_io_executor executor,
                                                    PgConfig config,
                                                    std::vector<std::string> channels);
  ~PgListener();
  PgListener(const PgListener&) = delete;
  PgListener& operator=(const PgListener&) = delete;

  // Called for every notification on one of the channels, in the order the server sent them.
  void on_notification(std::function<void(const PgNotification&)> fn);
  // Called after each (re)connect once LISTEN is active, including the first, before
  // connected() turns true and before any notification of that connection.
  void on_resync(std::function<void()> fn);

  // Connects, LISTENs and delivers notifications; on losing the connection (or failing to
  // open it) waits with back-off and tries again, until stop(). Returns only after stop(). Run
  // it once, with co_spawn. An exception thrown by a callback ends run() with that exception.
  boost::asio::awaitable<void> run();
  // Makes run() return soon (an operation under way is cancelled); idempotent.
  void stop();
  // True while the connection is up with LISTEN active and on_resync done.
  bool connected() const;

 private:
  explicit PgListener(std::shared_ptr<PgListenerState> state) : state_(std::move(state)) {}
  std::shared_ptr<PgListenerState> state_;
};

// Sends a notification through the pool: SELECT pg_notify(channel, payload). Inside
// pool.transaction(...) use notify(conn, ...) instead, so that it is delivered at commit (and
// not at all on rollback). Fails with kPgErrorUsage for a bad channel name (check_channel) or a
// payload longer than kPgNotifyPayloadMax bytes, else as PgConn::query.
boost::asio::awaitable<Result<void>> notify(PgPool& pool, std::string_view channel,
                                            std::string_view payload);
boost::asio::awaitable<Result<void>> notify(PgConn& conn, std::string_view channel,
                                            std::string_view payload);

}  // namespace rafiki::store
