#include "store/migrate.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "base/encoding.h"
#include "crypto/hash.h"

namespace rafiki::store {

namespace fs = std::filesystem;
using boost::asio::awaitable;

namespace {

// Key of the session-level advisory lock runners take (per database): "rafikimg".
constexpr std::int64_t kMigrationLockKey = 0x72616669'6b696d67;

std::unexpected<Error> file_error(const std::string& message) {
  return fail(std::string(kMigrationErrorFile), message);
}

// "0001_create_assets.sql" → 1; nullopt for any other shape.
std::optional<int> version_of(std::string_view file_name) {
  constexpr std::string_view kSuffix = ".sql";
  if (file_name.size() < 4 + 1 + 1 + kSuffix.size() || !file_name.ends_with(kSuffix)) {
    return std::nullopt;
  }
  int version = 0;
  for (int i = 0; i < 4; ++i) {
    char c = file_name[i];
    if (c < '0' || c > '9') return std::nullopt;
    version = version * 10 + (c - '0');
  }
  if (version < 1 || file_name[4] != '_') return std::nullopt;
  std::string_view name = file_name.substr(5, file_name.size() - 5 - kSuffix.size());
  if (name.empty()) return std::nullopt;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return std::nullopt;
  }
  return version;
}

std::string sha256_hex(std::string_view data) {
  crypto::Sha256Digest digest = crypto::sha256(data);
  return encoding::hex_encode(ByteView(digest));
}

// Orders by version and refuses two files with one version.
Result<void> sort_and_check(std::vector<Migration>& files) {
  std::sort(files.begin(), files.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  for (std::size_t i = 1; i < files.size(); ++i) {
    if (files[i].version == files[i - 1].version) {
      return file_error(fmt::format("migrations {} and {} have the same number",
                                    files[i - 1].file_name, files[i].file_name));
    }
  }
  return {};
}

struct Applied {
  std::string file_name;
  std::string checksum;
};

// Refuses edited history and new files numbered below the newest applied one; returns what is
// left to apply.
Result<std::vector<const Migration*>> pending_of(const std::vector<Migration>& files,
                                                 const std::map<int, Applied>& applied) {
  int newest_applied = applied.empty() ? 0 : applied.rbegin()->first;
  std::vector<const Migration*> pending;
  for (const Migration& m : files) {
    auto it = applied.find(m.version);
    if (it == applied.end()) {
      if (m.version < newest_applied) {
        return fail(std::string(kMigrationErrorOrder),
                    fmt::format("migration {} is numbered below {}, which is already applied; "
                                "give it a number above {:04}",
                                m.file_name, applied.rbegin()->second.file_name, newest_applied));
      }
      pending.push_back(&m);
      continue;
    }
    if (it->second.file_name != m.file_name) {
      return fail(std::string(kMigrationErrorChanged),
                  fmt::format("migration {} was applied as {}; applied migrations must not be "
                              "renamed",
                              m.file_name, it->second.file_name));
    }
    if (it->second.checksum != m.checksum) {
      return fail(
          std::string(kMigrationErrorChanged),
          fmt::format("migration {} changed after it was applied (checksum {} applied, "
                      "{} now); restore it and put the change in a new migration",
                      m.file_name, it->second.checksum.substr(0, 12), m.checksum.substr(0, 12)));
    }
  }
  return pending;
}

awaitable<Result<std::vector<int>>> apply_locked(PgConn& conn,
                                                 const std::vector<Migration>& files) {
  std::string create = fmt::format(
      "CREATE TABLE IF NOT EXISTS {} (version integer PRIMARY KEY, name text NOT NULL, "
      "checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
      kMigrationsTable);
  if (auto created = co_await conn.execute_script(create); !created) {
    co_return std::unexpected(created.error());
  }
  auto rows = co_await conn.query(
      fmt::format("SELECT version, name, checksum FROM {} ORDER BY version", kMigrationsTable));
  if (!rows) co_return std::unexpected(rows.error());
  std::map<int, Applied> applied;
  for (PgRow row : *rows) {
    applied[row.get<std::int32_t>(0)] = Applied{row.get<std::string>(1), row.get<std::string>(2)};
  }
  auto pending = pending_of(files, applied);
  if (!pending) co_return std::unexpected(pending.error());

  std::vector<int> done;
  std::string record =
      fmt::format("INSERT INTO {} (version, name, checksum) VALUES ($1, $2, $3)", kMigrationsTable);
  for (const Migration* m : *pending) {
    auto step = [&]() -> awaitable<Result<void>> {
      if (auto r = co_await conn.execute_script("BEGIN"); !r) co_return r;
      if (auto r = co_await conn.execute_script(m->sql); !r) co_return r;
      if (!conn.in_transaction()) {
        co_return fail(std::string(kMigrationErrorFile),
                       "the file ended the transaction itself; remove its COMMIT/ROLLBACK");
      }
      auto r = co_await conn.query(record, m->version, m->file_name, m->checksum);
      if (!r) co_return std::unexpected(r.error());
      co_return co_await conn.execute_script("COMMIT");
    };
    Result<void> result = co_await step();
    if (!result) {
      if (conn.in_transaction()) (void)co_await conn.execute_script("ROLLBACK");
      co_return fail(result.error().code, m->file_name + ": " + result.error().message);
    }
    spdlog::info("applied migration {}", m->file_name);
    done.push_back(m->version);
  }
  co_return done;
}

}  // namespace

Result<Migration> parse_migration(std::string_view file_name, std::string sql) {
  auto version = version_of(file_name);
  if (!version) {
    return file_error(fmt::format(
        "migration file {} is not named NNNN_name.sql (four digits from 0001, then a name of "
        "a-z, 0-9 and _)",
        file_name));
  }
  if (sql.size() > kMigrationFileBytesMax) {
    return file_error(
        fmt::format("migration {} is larger than {} bytes", file_name, kMigrationFileBytesMax));
  }
  std::string checksum = sha256_hex(sql);
  return Migration{*version, std::string(file_name), std::move(sql), std::move(checksum)};
}

Result<std::vector<Migration>> load_migrations(const fs::path& dir) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) return file_error(fmt::format("cannot read {}: {}", dir.string(), ec.message()));
  std::vector<Migration> out;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) return file_error(fmt::format("cannot read {}: {}", dir.string(), ec.message()));
    std::string file_name = it->path().filename().string();
    if (!file_name.ends_with(".sql")) continue;
    if (!version_of(file_name)) return std::unexpected(parse_migration(file_name, "").error());
    if (out.size() >= kMigrationFilesMax) {
      return file_error(
          fmt::format("more than {} migration files in {}", kMigrationFilesMax, dir.string()));
    }
    std::error_code size_ec;
    auto size = fs::file_size(it->path(), size_ec);
    if (size_ec || !it->is_regular_file()) {
      return file_error(fmt::format("migration {} is not a readable file", file_name));
    }
    if (size > kMigrationFileBytesMax) {
      return file_error(
          fmt::format("migration {} is larger than {} bytes", file_name, kMigrationFileBytesMax));
    }
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in && !in.eof()) return file_error(fmt::format("cannot read migration {}", file_name));
    auto migration = parse_migration(file_name, std::move(text).str());
    if (!migration) return std::unexpected(migration.error());
    out.push_back(std::move(*migration));
  }
  if (auto ordered = sort_and_check(out); !ordered) return std::unexpected(ordered.error());
  return out;
}

awaitable<Result<std::vector<int>>> apply_migrations(PgPool& pool, std::vector<Migration> files) {
  if (auto ordered = sort_and_check(files); !ordered) co_return std::unexpected(ordered.error());
  auto conn = co_await pool.acquire();
  if (!conn) co_return std::unexpected(conn.error());
  // Waits (up to the statement timeout) while another runner works on this database.
  if (auto locked = co_await conn->query("SELECT pg_advisory_lock($1)", kMigrationLockKey);
      !locked) {
    co_return std::unexpected(locked.error());
  }
  Result<std::vector<int>> result = co_await apply_locked(*conn, files);
  // If this fails the connection is broken, is closed, and the server drops the lock with it.
  (void)co_await conn->query("SELECT pg_advisory_unlock($1)", kMigrationLockKey);
  co_return result;
}

awaitable<Result<std::vector<int>>> migrate(PgPool& pool, const fs::path& dir) {
  auto files = load_migrations(dir);
  if (!files) co_return std::unexpected(files.error());
  co_return co_await apply_migrations(pool, std::move(*files));
}

}  // namespace rafiki::store
