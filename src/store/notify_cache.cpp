#include "store/notify_cache.h"

#include <boost/asio/co_spawn.hpp>

#include <spdlog/spdlog.h>

#include <exception>

#include "store/listen.h"

namespace rafiki::store::detail {

namespace asio = boost::asio;

NotifyCacheCore::~NotifyCacheCore() = default;

bool NotifyCacheCore::live_locked() const {
  return listener_ && listener_->connected();
}

void NotifyCacheCore::notified(std::string_view payload) {
  std::lock_guard lock(mutex);
  ++generation;
  drop_locked(payload);
}

void NotifyCacheCore::resynced() {
  std::lock_guard lock(mutex);
  ++generation;
  drop_all_locked();
}

Result<void> NotifyCacheCore::start(asio::any_io_executor executor, PgConfig config) {
  std::shared_ptr<PgListener> listener;
  {
    std::lock_guard lock(mutex);
    if (listener_) return {};
    auto created = PgListener::create(executor, std::move(config), {channel_});
    if (!created) return std::unexpected(created.error());
    listener = *created;
    // The callbacks hold this state, not the cache: they may outlive it briefly.
    std::shared_ptr<NotifyCacheCore> self = shared_from_this();
    listener->on_notification(
        [self](const PgNotification& notification) { self->notified(notification.payload); });
    listener->on_resync([self] { self->resynced(); });
    listener_ = listener;
  }
  asio::co_spawn(executor, listener->run(), [name = name_](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("{} listener stopped: {}", name, ex.what());
    }
  });
  return {};
}

void NotifyCacheCore::stop() {
  std::shared_ptr<PgListener> listener;
  {
    std::lock_guard lock(mutex);
    listener = std::move(listener_);
    listener_.reset();
    ++generation;
    drop_all_locked();
  }
  if (listener) listener->stop();
}

}  // namespace rafiki::store::detail
