#include "service/migrations.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "crypto/hash.h"
#include "base/encoding.h"
#include "store/migrate.h"

namespace rafiki::service {
namespace {

std::string_view database_name(Database db) { return db == Database::kBackend ? "backend" : "auth"; }

Result<std::vector<store::Migration>> to_migrations(std::span<const EmbeddedFile> files) {
  std::vector<store::Migration> out;
  for (const auto& f : files) {
    auto m = store::parse_migration(f.name, std::string(f.content));
    if (!m) return std::unexpected(m.error());
    out.push_back(std::move(*m));
  }
  return out;
}

}  // namespace

boost::asio::awaitable<Result<void>> migrate(store::PgPool& pool, Database db) {
  auto files = to_migrations(embedded_migrations(db));
  if (!files) co_return std::unexpected(files.error());
  auto applied = co_await store::apply_migrations(pool, std::move(*files));
  if (!applied) co_return std::unexpected(applied.error());
  if (applied->empty()) {
    spdlog::info("{} database: migrations up to date", database_name(db));
  } else {
    spdlog::info("{} database: applied migrations {}", database_name(db), fmt::join(*applied, ", "));
  }
  co_return Result<void>{};
}

StartupTask migrate_on_startup(store::PgPool pool, Database db) {
  return [pool, db]() mutable -> boost::asio::awaitable<Result<void>> {
    auto pause = kMigrateStartupFirstPause;
    for (int attempt = 1;; ++attempt) {
      auto r = co_await migrate(pool, db);
      bool unreachable = !r && (r.error().code == store::kPgErrorConnection ||
                                r.error().code == store::kPgErrorTimeout);
      if (r || !unreachable || attempt >= kMigrateStartupAttempts) co_return r;
      spdlog::warn("{} database not reachable ({}); retrying in {} ms", database_name(db),
                   r.error().message, pause.count());
      boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, pause);
      co_await t.async_wait(boost::asio::use_awaitable);
      pause *= 2;
    }
  };
}

}  // namespace rafiki::service
