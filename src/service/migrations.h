// The database migrations of the backend and auth services, embedded in the binary at build
// time from migrations/<database>/NNNN_name.sql, and the start-up task that applies them.
#pragma once

#include <span>
#include <string_view>

#include "service/runtime.h"
#include "store/pg.h"

namespace rafiki::service {

enum class Database { kBackend, kAuth };

struct EmbeddedFile {
  std::string_view name;     // "0001_create_ledger.sql"
  std::string_view content;  // the SQL
};

std::span<const EmbeddedFile> embedded_migrations(Database db);

// Applies the embedded migrations of `db` to the pool's database; logs what it applied.
// Fails with the store's migration errors (changed history, a failing file).
boost::asio::awaitable<Result<void>> migrate(store::PgPool& pool, Database db);

// As migrate(), retried with back-off while the database cannot be reached (it may still be
// starting), at most kMigrateStartupAttempts times.
StartupTask migrate_on_startup(store::PgPool pool, Database db);

constexpr int kMigrateStartupAttempts = 8;
constexpr std::chrono::milliseconds kMigrateStartupFirstPause{250};

}  // namespace rafiki::service
