// The published-document cache staying correct across two backends (LISTEN/NOTIFY) and when
// an invalidation races an insert.
#include "backend/wallet_address/util.h"

namespace rafiki::backend::test::wallet_address_test {
namespace {


template <class Pred>
bool eventually(AdminHarness& h, Pred pred, std::chrono::milliseconds timeout = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    h.wait([&]() -> asio::awaitable<void> {
      asio::steady_timer timer(co_await asio::this_coro::executor, 20ms);
      co_await timer.async_wait(asio::use_awaitable);
    }());
  }
  return pred();
}

TEST(WalletAddressCache, ChangesFromAnotherBackendReachTheCache) {
  AdminHarness h;
  OpServer s(h);
  use_server_origin(h, s);
  const std::string asset = add_asset(h, kOperatorTenantId);
  json::object input = create_input(asset, "cached");
  input["publicName"] = "Before";
  const std::string wa(create_ok(h, input).at("id").as_string());
  auto& service = *h.backend().wallet_addresses;
  service.start(h.io().get_executor());
  ASSERT_TRUE(eventually(h, [&] { return service.cache_active(); }));

  auto name = [&] {
    auto r = s.request("/cached");
    if (r.status != 200) return std::string("status ") + std::to_string(r.status);
    auto doc = json::parse(r.body).as_object();
    return doc.contains("publicName") ? std::string(doc.at("publicName").as_string())
                                      : std::string("-");
  };
  EXPECT_EQ(name(), "Before");
  EXPECT_EQ(service.cache().size(), 1u);
  // Served from memory: a change that bypasses the service (no notification) is not seen...
  h.db().exec("UPDATE wallet_addresses SET public_name = 'Sneaky' WHERE id = '" + wa + "'");
  EXPECT_EQ(name(), "Before");

  // A lost listener connection drops the whole cache on reconnect (notifications may have been
  // missed meanwhile), so even that change shows then.
  h.db().exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
      "'rafiki_listener' AND datname = current_database()");
  EXPECT_TRUE(eventually(h, [&] { return name() == "Sneaky"; }));

  // ...but a change through a second backend on the same database is, once notified.
  store::PgConfig config;
  config.url = h.db().url();
  config.max_connections = 2;
  auto pool = store::PgPool::create(h.io().get_executor(), config);
  ASSERT_TRUE(pool);
  auto kv = store::make_key_value(h.io().get_executor(), "");
  ASSERT_TRUE(kv);
  Backend other(test_config(h.db().url()), h.io().get_executor(), *pool, *kv);
  install_domains(other, Mount{}, nullptr);
  wallet_address::WalletAddressPatch patch;
  patch.id = *Uuid::parse(wa);
  patch.tenant_id = *Uuid::parse(kOperatorTenantId);
  patch.public_name = std::optional<std::string>("After");
  ASSERT_TRUE(h.wait(other.wallet_addresses->update(patch)));
  EXPECT_TRUE(eventually(h, [&] { return name() == "After"; }));

  // Keys added elsewhere appear in the cached JWKS; deactivation elsewhere hides the document.
  ASSERT_TRUE(h.wait(other.wallet_addresses->add_key(
      *Uuid::parse(wa), *crypto::jwk_from_json(json::object{{"kid", "remote"},
                                                            {"x", fresh_x()},
                                                            {"alg", "EdDSA"},
                                                            {"kty", "OKP"},
                                                            {"crv", "Ed25519"}}))));
  EXPECT_TRUE(eventually(h, [&] {
    return s.request("/cached/jwks.json").body.find("\"remote\"") != std::string::npos;
  }));
  patch.public_name.reset();
  patch.active = false;
  ASSERT_TRUE(h.wait(other.wallet_addresses->update(patch)));
  EXPECT_TRUE(eventually(h, [&] { return s.request("/cached").status == 404; }));

  // Local changes are visible at once.
  patch.active = true;
  ASSERT_TRUE(h.wait(service.update(patch)));
  EXPECT_EQ(s.request("/cached").status, 200);
  service.stop();
}

// The service's cache (a store::NotifyCache, whose own tests cover the mechanism) drops a value
// read while an invalidation raced and keeps at most kCacheEntriesMax documents.
TEST(WalletAddressCache, InsertIsDroppedWhenAnInvalidationRaced) {
  AdminHarness h;
  auto& cache = h.backend().wallet_addresses->cache();
  auto entry = std::make_shared<const wallet_address::Published>();
  auto before = cache.generation();
  cache.invalidate("https://x.example/a");
  cache.put(before, "https://x.example/a", entry);
  EXPECT_EQ(cache.find("https://x.example/a"), nullptr);
  cache.put(cache.generation(), "https://x.example/a", entry);
  EXPECT_NE(cache.find("https://x.example/a"), nullptr);
  cache.clear();
  EXPECT_EQ(cache.size(), 0u);
  for (std::size_t i = 0; i < wallet_address::kCacheEntriesMax + 5; ++i) {
    cache.put(cache.generation(), "https://x.example/" + std::to_string(i), entry);
  }
  EXPECT_EQ(cache.size(), wallet_address::kCacheEntriesMax);
}

}  // namespace
}  // namespace rafiki::backend::test::wallet_address_test
