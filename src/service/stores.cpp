#include "service/stores.h"

#include <fmt/format.h>

#include "store/redis.h"

namespace rafiki::service {

Result<Stores> open_stores(Runtime& runtime, const StoreSettings& s) {
  auto executor = runtime.io().get_executor();
  store::PgConfig pg_config;
  pg_config.url = s.database_url;
  pg_config.max_connections = static_cast<int>(s.database_pool_max);
  auto pg = store::PgPool::create(executor, pg_config);
  if (!pg) return fail("config", fmt::format("{} database: {}", s.service, pg.error().message));

  std::shared_ptr<store::KeyValue> kv;
  if (s.redis_url) {
    auto redis = store::make_key_value(executor, *s.redis_url);
    if (!redis) return fail("config", fmt::format("{} REDIS_URL: {}", s.service, redis.error().message));
    kv = std::move(*redis);
  } else {
    kv = store::make_memory_key_value();
  }

  store::PgPool pool = *pg;
  runtime.add_probe(fmt::format("{} postgres", s.service),
                    [pool]() mutable -> boost::asio::awaitable<Result<void>> {
                      auto r = co_await pool.query("SELECT 1");
                      if (!r) co_return std::unexpected(r.error());
                      co_return Result<void>{};
                    });
  if (s.redis_url) {
    runtime.add_probe(fmt::format("{} redis", s.service),
                      [kv]() -> boost::asio::awaitable<Result<void>> { co_return co_await kv->ping(); });
  }
  if (s.migrate_at_start) {
    runtime.on_startup(fmt::format("{} migrations", s.service), migrate_on_startup(pool, s.database));
  }
  return Stores{std::move(*pg), std::move(kv)};
}

}  // namespace rafiki::service
