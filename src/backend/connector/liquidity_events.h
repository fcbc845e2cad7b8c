// What happens around a packet's money besides the transfers (the balance stage's hooks):
// whether a forwarded packet's peer still exists once its pending transfers committed, and,
// after a packet's transfers were posted, the liquidity-low events of the source peer and the
// destination asset (once per crossing, shared across processes through the key-value store)
// and the Web Monetization bookkeeping of a receiving wallet address
// (reference/connector.md §10, reference/payments.md §5).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include "backend/connector/accounts.h"
#include "backend/connector/stages.h"

namespace rafiki::store {
class KeyValue;
}
namespace rafiki::backend {
namespace liquidity {
class LiquidityService;
}
namespace webhook {
class WebhookService;
}
namespace wallet_address {
class WalletAddressService;
}
namespace peer {
class PeerService;
}
}  // namespace rafiki::backend

namespace rafiki::backend::connector {

class PeerRowReads;

class LiquidityEvents final : public BalanceHooks {
 public:
  struct Services {
    DomainAccounts& accounts;  // the asset cache
    liquidity::LiquidityService& liquidity;
        store::KeyValue& kv;
    webhook::WebhookService& webhooks;
    wallet_address::WalletAddressService& wallet_addresses;
    peer::PeerService& peers;
  };
  LiquidityEvents(Services services, boost::asio::any_io_executor executor);

  boost::asio::awaitable<Result<bool>> peer_still_exists(const Account& peer) override;
  boost::asio::awaitable<void> posted(const Context& ctx) override;

 private:
  boost::asio::awaitable<void> check_liquidity(std::string_view type, const Uuid& account_id,
                                               const AssetInfo& asset, const Uuid& tenant_id,
                                               money::u128 threshold);

  Services services_;
  std::shared_ptr<PeerRowReads> peer_rows_;
  std::mutex mutex_;
  // Whether each account was last seen at or below its threshold (this process's view).
  std::unordered_map<Uuid, bool> below_;
};

}  // namespace rafiki::backend::connector
