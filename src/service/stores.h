// A service's state engines: its PostgreSQL pool and its key-value store (Redis when a URL is
// configured, else in memory), with their readiness probes and, unless migrations are manual,
// the start-up task that migrates the database. Nothing connects until the runtime runs.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "service/migrations.h"
#include "service/runtime.h"
#include "store/kv.h"
#include "store/pg.h"

namespace rafiki::service {

struct StoreSettings {
  std::string service;  // "backend", "auth": names probes and log lines
  std::string database_url;
  std::size_t database_pool_max = 10;
  std::optional<std::string> redis_url;
  Database database = Database::kBackend;
  bool migrate_at_start = true;
};

struct Stores {
  store::PgPool pg;
  std::shared_ptr<store::KeyValue> kv;
};

// Fails (before anything connects) on a malformed database or Redis URL.
Result<Stores> open_stores(Runtime& runtime, const StoreSettings& settings);

}  // namespace rafiki::service
