#include "backend/connector/liquidity_events.h"

#include <spdlog/spdlog.h>

#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>

#include <algorithm>
#include <iterator>
#include <string>
#include <vector>

#include "backend/liquidity/service.h"
#include "backend/peer/service.h"
#include "backend/wallet_address/service.h"
#include "backend/webhook/model.h"
#include "backend/webhook/service.h"
#include "store/kv.h"

namespace rafiki::backend::connector {

namespace asio = boost::asio;
namespace json = boost::json;

// "Does this peer row still exist?" for forwarded packets, read for many packets at once: checks
// queue on a strand and one query (at most one in flight) answers all those queued before it
// started. A check is queued after its packet's pending transfer committed, and the query's
// snapshot is taken after the check was queued, so it sees that commit and every delete
// committed before it: the answer a read of its own would give (PeerService::remove says why
// that read suffices). One round trip per read instead of one per packet.
class PeerRowReads : public std::enable_shared_from_this<PeerRowReads> {
 public:
  PeerRowReads(peer::PeerService& peers, asio::any_io_executor executor)
      : peers_(peers), strand_(asio::make_strand(std::move(executor))) {}

  asio::awaitable<Result<bool>> exists(Uuid id) {
    auto self = shared_from_this();
    auto initiation = [self](auto handler, Uuid peer) {
      Check check{peer, std::make_unique<Completion<decltype(handler)>>(std::move(handler))};
      asio::post(self->strand_, [self, check = std::move(check)]() mutable {
        self->queue_.push_back(std::move(check));
        if (self->reading_) return;
        self->reading_ = true;
        asio::co_spawn(self->strand_, read_loop(self), asio::detached);
      });
    };
    co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(Result<bool>)>(
        std::move(initiation), asio::use_awaitable, id);
  }

 private:
  // Checks answered by one query at most (the rest wait for the next).
  static constexpr std::size_t kChecksPerReadMax = 8'192;

  struct Waiter {
    virtual ~Waiter() = default;
    virtual void complete(Result<bool> answer) = 0;
  };
  template <class Handler>
  struct Completion final : Waiter {
    explicit Completion(Handler h) : handler(std::move(h)) {}
    void complete(Result<bool> answer) override {
      auto executor = asio::get_associated_executor(handler);
      asio::post(executor, [h = std::move(handler), a = std::move(answer)]() mutable {
        std::move(h)(std::move(a));
      });
    }
    Handler handler;
  };
  struct Check {
    Uuid id;
    std::unique_ptr<Waiter> waiter;
  };

  // Runs on the strand while checks are queued.
  static asio::awaitable<void> read_loop(std::shared_ptr<PeerRowReads> self) {
    while (!self->queue_.empty()) {
      std::vector<Check> batch;
      const std::size_t n = std::min(self->queue_.size(), kChecksPerReadMax);
      batch.reserve(n);
      std::move(self->queue_.begin(), self->queue_.begin() + static_cast<std::ptrdiff_t>(n),
                std::back_inserter(batch));
      self->queue_.erase(self->queue_.begin(), self->queue_.begin() + static_cast<std::ptrdiff_t>(n));
      std::vector<Uuid> ids;
      ids.reserve(n);
      for (const auto& c : batch) ids.push_back(c.id);
      Result<std::vector<Uuid>> found = std::vector<Uuid>{};
      try {
        found = co_await self->peers_.existing(std::move(ids));
      } catch (const std::exception& e) {
        found = fail("connector.peer_check", e.what());
      }
      // Sorted once, so each of up to kChecksPerReadMax checks is a binary search.
      if (found) std::sort(found->begin(), found->end());
      for (auto& c : batch) {
        if (!found) {
          c.waiter->complete(std::unexpected(found.error()));
        } else {
          c.waiter->complete(std::binary_search(found->begin(), found->end(), c.id));
        }
      }
    }
    self->reading_ = false;
  }

  peer::PeerService& peers_;
  asio::strand<asio::any_io_executor> strand_;
  std::vector<Check> queue_;  // on strand_
  bool reading_ = false;      // on strand_
};

namespace {

json::object asset_json(const AssetInfo& asset) {
  json::object a;
  a["id"] = asset.id.str();
  a["code"] = asset.code;
  a["scale"] = asset.scale;
  return a;
}

}  // namespace

LiquidityEvents::LiquidityEvents(Services services, asio::any_io_executor executor)
    : services_(services),
      peer_rows_(std::make_shared<PeerRowReads>(services.peers, std::move(executor))) {}

asio::awaitable<Result<bool>> LiquidityEvents::peer_still_exists(const Account& peer) {
  // A plain read after the pending transfer committed: deletePeer locks the peer's ledger
  // account before reading its balance, so either it saw our pending credit and refused, or
  // it committed before our ledger batch did, and then this read no longer finds the row
  // (PeerService::remove). No row lock: a FOR SHARE is a write (WAL, a durable commit, and
  // MultiXacts when packets overlap) on every forwarded packet.
  // (coalesced with other packets' checks: PeerRowReads).
  co_return co_await peer_rows_->exists(peer.id);
}

asio::awaitable<void> LiquidityEvents::posted(const Context& ctx) {
  try {
    if (ctx.incoming->kind == AccountKind::kPeer && ctx.incoming->liquidity_threshold) {
      co_await check_liquidity(webhook::event_type::kPeerLiquidityLow, ctx.incoming->id,
                               ctx.incoming->asset, ctx.incoming->tenant_id,
                               *ctx.incoming->liquidity_threshold);
    }
    auto entry = co_await services_.accounts.asset(ctx.outgoing->asset.id);
    if (!entry) {
      spdlog::warn("connector: asset of a posted packet: {}", entry.error().message);
      co_return;
    }
    if ((*entry)->liquidity_threshold) {
      co_await check_liquidity(webhook::event_type::kAssetLiquidityLow, (*entry)->info.id,
                               (*entry)->info, (*entry)->tenant_id,
                               *(*entry)->liquidity_threshold);
    }
    if (ctx.outgoing->kind == AccountKind::kWalletAddress && (*entry)->withdrawal_threshold) {
      // payments.md §5: due for a wallet_address.web_monetization event once its receipts
      // reach the asset's withdrawal threshold.
      auto scheduled = co_await services_.wallet_addresses.schedule_web_monetization(
          ctx.outgoing->id, *(*entry)->withdrawal_threshold);
      if (!scheduled) {
        spdlog::warn("connector: web monetization not scheduled: {}", scheduled.error().message);
      }
    }
  } catch (const std::exception& e) {
    spdlog::warn("connector: after-post checks failed: {}", e.what());
  }
}

// Emits `type` once per crossing: when the balance is at or below the threshold and the
// account was not known to be below already (shared through the key-value store, so several
// processes emit once between them); a balance above the threshold re-arms it.
asio::awaitable<void> LiquidityEvents::check_liquidity(std::string_view type,
                                                       const Uuid& account_id,
                                                       const AssetInfo& asset,
                                                       const Uuid& tenant_id,
                                                       money::u128 threshold) {
  auto balance = co_await services_.liquidity.balance(account_id);
  if (!balance || !*balance) co_return;
  const bool low = **balance <= threshold;
  {
    std::lock_guard lock(mutex_);
    auto it = below_.find(account_id);
    if (it != below_.end() && it->second == low) co_return;
    if (below_.size() >= kCacheEntriesMax) below_.clear();
    below_[account_id] = low;
  }
  const std::string key = "liquidity_low:" + account_id.str();
  if (!low) {
    auto removed = co_await services_.kv.remove(key);
    if (!removed) spdlog::warn("connector: {}: {}", key, removed.error().message);
    co_return;
  }
  auto first = co_await services_.kv.set_if_absent(key, "1", store::kKvTtlMax);
  if (!first) {
    spdlog::warn("connector: {}: {}", key, first.error().message);
    std::lock_guard lock(mutex_);
    below_.erase(account_id);  // try again next time
    co_return;
  }
  if (!*first) co_return;  // another process already told
  webhook::NewEvent event;
  event.type = std::string(type);
  event.tenant_id = tenant_id;
  event.data["id"] = account_id.str();
  event.data["asset"] = asset_json(asset);
  event.data["liquidityThreshold"] = money::to_string(threshold);
  event.data["balance"] = money::to_string(**balance);
  auto emitted = co_await services_.webhooks.emit(std::move(event));
  if (!emitted) spdlog::warn("connector: {} not emitted: {}", type, emitted.error().message);
}

}  // namespace rafiki::backend::connector
