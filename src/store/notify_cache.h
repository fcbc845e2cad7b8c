// An in-memory cache of values read from PostgreSQL, kept correct across processes by
// LISTEN/NOTIFY (store/listen.h): every change to what a value was read from sends a notification
// on the cache's channel in the changing transaction, and every process's cache drops what the
// notification names — one entry (the payload names its key) or everything. After each
// (re)connect of the listener everything is dropped (notifications sent meanwhile are lost), and
// while the listener is not connected (or not started) nothing is served from memory: callers
// read the database. A value read from the database is kept only when no invalidation happened
// while it was being read, so a value never outlives a change committed before it was kept.
//
// Two shapes use it: values keyed by what callers look up (a wallet address document by its URL:
// the payload is the key), and one snapshot of a whole table (every peer, for routing: Key =
// std::monostate, every notification drops it, and `single_load` makes one caller load it while
// the others read the few rows they need).
//
// Usage:
//   NotifyCache<std::string, Doc>::Options options;
//   options.channel = "wallet_address";
//   options.key_of = [](std::string_view payload) { return std::optional<std::string>(payload); };
//   NotifyCache<std::string, Doc> cache(std::move(options));
//   cache.start(executor, pg.config());                 // once; stop() at shutdown
//   auto doc = co_await cache.get(url, load_from_database);
//   cache.invalidate(url);                               // after this process's own change
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "base/errors.h"
#include "store/pg.h"

namespace rafiki::store {

class PgListener;

// Entries a cache keeps unless told otherwise; when full, an arbitrary entry makes room.
constexpr std::size_t kNotifyCacheEntriesMaxDefault = 10'000;

namespace detail {

// What a NotifyCache does that does not depend on its types: the listener, the lock and the
// generation (bumped by every invalidation). Shared with the listener's callbacks, which may
// outlive the cache briefly.
class NotifyCacheCore : public std::enable_shared_from_this<NotifyCacheCore> {
 public:
  NotifyCacheCore(std::string channel, std::string name)
      : channel_(std::move(channel)), name_(std::move(name)) {}
  virtual ~NotifyCacheCore();
  NotifyCacheCore(const NotifyCacheCore&) = delete;
  NotifyCacheCore& operator=(const NotifyCacheCore&) = delete;

  Result<void> start(boost::asio::any_io_executor executor, PgConfig config);
  void stop();
  bool live() const {
    std::lock_guard lock(mutex);
    return live_locked();
  }
  bool live_locked() const;

  mutable std::mutex mutex;
  std::uint64_t generation = 0;  // under mutex

 protected:
  // Called with the mutex held, the generation already bumped.
  virtual void drop_locked(std::string_view payload) = 0;
  virtual void drop_all_locked() = 0;

 private:
  void notified(std::string_view payload);
  void resynced();

  std::string channel_;
  std::string name_;
  std::shared_ptr<PgListener> listener_;  // under mutex
};

}  // namespace detail

// Thread-safe. Values are shared immutable objects: a caller keeps the one it got for as long as
// it likes, whatever happens to the cache meanwhile.
template <class Key, class Value, class Hash = std::hash<Key>, class Equal = std::equal_to<Key>>
class NotifyCache {
 public:
  // Reads the value from the database; null when there is nothing to cache.
  using Loader = std::function<boost::asio::awaitable<Result<std::shared_ptr<const Value>>>()>;

  struct Options {
    std::string channel;         // the LISTEN channel (store::check_channel)
    std::string name = "cache";  // for logs
    std::size_t entries_max = kNotifyCacheEntriesMaxDefault;
    // The key a notification's payload names (only that entry is dropped). Without this
    // function, or when it answers nullopt, a notification drops every entry.
    std::function<std::optional<Key>(std::string_view payload)> key_of;
    // For a value that is costly to load when callers have a cheaper way to the few rows they
    // need: one load per key at a time, and while it runs — or while the cache is not live —
    // get() answers null without loading (the caller reads the database its own way).
    bool single_load = false;
  };

  explicit NotifyCache(Options options) : state_(std::make_shared<State>(std::move(options))) {}
  ~NotifyCache() { state_->stop(); }
  NotifyCache(const NotifyCache&) = delete;
  NotifyCache& operator=(const NotifyCache&) = delete;

  // Starts listening on `executor` with a connection of its own made from `config` (idempotent).
  // Fails when the channel or the configuration is refused; a database that is down is not a
  // failure (the listener keeps trying, and the cache is not live meanwhile).
  Result<void> start(boost::asio::any_io_executor executor, PgConfig config) {
    return state_->start(std::move(executor), std::move(config));
  }
  // Stops the listener and drops every entry; start() may be called again.
  void stop() { state_->stop(); }
  // True while the listener is connected: entries may be served.
  bool live() const { return state_->live(); }

  // The value of `key`: from memory when live and present; else from load(), kept when it is
  // not null, the cache was live before and after the read, and nothing was invalidated
  // meanwhile. With `single_load`, null instead of loading (see Options).
  boost::asio::awaitable<Result<std::shared_ptr<const Value>>> get(Key key, Loader load) {
    std::shared_ptr<State> state = state_;
    std::uint64_t generation = 0;
    bool usable = false;
    {
      std::lock_guard lock(state->mutex);
      usable = state->live_locked();
      if (usable) {
        if (auto it = state->entries.find(key); it != state->entries.end()) co_return it->second;
      }
      if (state->options.single_load) {
        if (!usable || state->loading.contains(key)) co_return std::shared_ptr<const Value>{};
        state->loading.insert(key);
      }
      generation = state->generation;
    }
    Result<std::shared_ptr<const Value>> loaded;
    try {
      loaded = co_await load();
    } catch (...) {
      std::lock_guard lock(state->mutex);
      state->loading.erase(key);
      throw;
    }
    std::lock_guard lock(state->mutex);
    state->loading.erase(key);
    if (loaded) {
      state->loads.fetch_add(1);
      if (*loaded && usable && state->live_locked()) state->put_locked(generation, key, *loaded);
    }
    co_return loaded;
  }

  // Without suspending: the entry when live and present, else null (then call get()).
  std::shared_ptr<const Value> cached(const Key& key) const {
    std::lock_guard lock(state_->mutex);
    if (!state_->live_locked()) return nullptr;
    return state_->find_locked(key);
  }

  // Drops one entry / every entry now (this process's own change: it need not wait for its
  // notification).
  void invalidate(const Key& key) {
    std::lock_guard lock(state_->mutex);
    ++state_->generation;
    state_->entries.erase(key);
  }
  void clear() {
    std::lock_guard lock(state_->mutex);
    ++state_->generation;
    state_->entries.clear();
  }

  // The parts get() is made of, for callers with their own flow and for tests: a token taken
  // before reading; storing a value unless an invalidation happened since the token was taken
  // (whether live or not); the entry whether live or not.
  std::uint64_t generation() const {
    std::lock_guard lock(state_->mutex);
    return state_->generation;
  }
  void put(std::uint64_t generation, const Key& key, std::shared_ptr<const Value> value) {
    std::lock_guard lock(state_->mutex);
    state_->put_locked(generation, key, std::move(value));
  }
  std::shared_ptr<const Value> find(const Key& key) const {
    std::lock_guard lock(state_->mutex);
    return state_->find_locked(key);
  }

  std::size_t size() const {
    std::lock_guard lock(state_->mutex);
    return state_->entries.size();
  }
  // How many loads get() completed successfully (for tests and metrics).
  std::uint64_t loads() const { return state_->loads.load(); }

 private:
  class State final : public detail::NotifyCacheCore {
   public:
    explicit State(Options o) : detail::NotifyCacheCore(o.channel, o.name), options(std::move(o)) {}

    void put_locked(std::uint64_t token, const Key& key, std::shared_ptr<const Value> value) {
      if (token != generation) return;
      if (entries.size() >= options.entries_max && !entries.contains(key)) {
        if (entries.empty()) return;  // entries_max == 0: keeps nothing
        entries.erase(entries.begin());
      }
      entries.insert_or_assign(key, std::move(value));
    }
    std::shared_ptr<const Value> find_locked(const Key& key) const {
      auto it = entries.find(key);
      return it == entries.end() ? nullptr : it->second;
    }

    Options options;
    std::unordered_map<Key, std::shared_ptr<const Value>, Hash, Equal> entries;
    std::unordered_set<Key, Hash, Equal> loading;  // single_load: keys being loaded
    std::atomic<std::uint64_t> loads{0};

   protected:
    void drop_locked(std::string_view payload) override {
      std::optional<Key> key;
      if (options.key_of) key = options.key_of(payload);
      if (key) {
        entries.erase(*key);
      } else {
        entries.clear();
      }
    }
    void drop_all_locked() override { entries.clear(); }
  };

  std::shared_ptr<State> state_;
};

}  // namespace rafiki::store
