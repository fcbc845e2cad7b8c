// Database migrations: numbered SQL files `NNNN_name.sql` in one directory per database
// (migrations/backend, migrations/auth), applied in version order. Each file runs in its own
// transaction together with its row in the kMigrationsTable record (version, file name, SHA-256
// of the file, applied_at), so a file is applied entirely or not at all. Re-running is a no-op.
// An applied file whose content or name changed is refused, as is a new file numbered below one
// already applied: history is append-only. Runners in several processes at once serialise on a
// PostgreSQL advisory lock, so a file is never applied twice.
//
// A file must not contain transaction control (BEGIN/COMMIT) or statements that cannot run in a
// transaction (CREATE INDEX CONCURRENTLY). Each statement is bounded by the pool's
// query_timeout_ms, and so is the wait for another runner's lock.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/errors.h"
#include "store/pg.h"

namespace rafiki::store {

constexpr std::size_t kMigrationFileBytesMax = 4 * 1024 * 1024;
constexpr std::size_t kMigrationFilesMax = 10000;
inline constexpr std::string_view kMigrationsTable = "rafiki_migrations";

// Error codes (a failing migration's own error keeps its "pg.<SQLSTATE>" code).
inline constexpr std::string_view kMigrationErrorFile = "migrate.file";        // name, size, I/O
inline constexpr std::string_view kMigrationErrorChanged = "migrate.changed";  // edited history
inline constexpr std::string_view kMigrationErrorOrder = "migrate.order";      // numbered too low

struct Migration {
  int version = 0;        // NNNN
  std::string file_name;  // "0001_create_assets.sql"
  std::string sql;
  std::string checksum;  // SHA-256 of the file, lowercase hex
};

// One migration from its file name and content (e.g. embedded in the binary): the name must be
// NNNN_name.sql (four digits, version >= 1, name of [a-z0-9_]) and the content at most
// kMigrationFileBytesMax. Fails with kMigrationErrorFile naming the file.
Result<Migration> parse_migration(std::string_view file_name, std::string sql);

// Reads `dir`: every `*.sql` file must pass parse_migration and have a version no other file
// has; other files are ignored. Sorted by version. Fails with kMigrationErrorFile naming the
// file. Reads the disk synchronously (start-up only).
Result<std::vector<Migration>> load_migrations(const std::filesystem::path& dir);

// Applies the migrations not yet recorded in the pool's database and returns their versions
// (empty when there was nothing to do). `files` may come in any order; two with one version
// fail with kMigrationErrorFile. Fails with kMigrationErrorChanged or kMigrationErrorOrder
// before applying anything, or with the error of the first failing file (message prefixed with
// its name); files applied before that one stay applied.
boost::asio::awaitable<Result<std::vector<int>>> apply_migrations(PgPool& pool,
                                                                  std::vector<Migration> files);

// load_migrations(dir) then apply_migrations.
boost::asio::awaitable<Result<std::vector<int>>> migrate(PgPool& pool,
                                                         const std::filesystem::path& dir);

}  // namespace rafiki::store
