// Helpers for the ledger tests: a migrated database with a Ledger on it, builders for accounts
// and transfers, and result codes as names (readable failures).
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "service/migrations.h"
#include "store/pg.h"
#include "support/test_env.h"

namespace rafiki::ledger::test {

namespace asio = boost::asio;

inline store::PgPool make_pool(asio::any_io_executor ex, const std::string& url,
                               int max_connections = 4) {
  store::PgConfig config;
  config.url = url;
  config.max_connections = max_connections;
  config.acquire_timeout_ms = 20000;
  config.connect_timeout_ms = 10000;
  config.query_timeout_ms = 30000;
  auto pool = store::PgPool::create(std::move(ex), std::move(config));
  if (!pool) throw std::runtime_error(pool.error().message);
  return std::move(*pool);
}

// A Ledger on `url`, with the backend migrations applied.
inline asio::awaitable<Ledger> open_ledger(asio::any_io_executor ex, const std::string& url,
                                           int max_connections = 4) {
  store::PgPool pool = make_pool(ex, url, max_connections);
  auto migrated = co_await service::migrate(pool, service::Database::kBackend);
  if (!migrated) throw std::runtime_error("migrate: " + migrated.error().message);
  co_return Ledger(ex, pool);
}

inline Account account(Uuid id, std::uint32_t ledger, std::uint32_t flags,
                       std::uint16_t code = 1) {
  Account a;
  a.id = id;
  a.ledger = ledger;
  a.code = code;
  a.flags = flags;
  return a;
}

inline Transfer single(Uuid id, Uuid debit, Uuid credit, u128 amount, std::uint32_t ledger = 1) {
  Transfer t;
  t.id = id;
  t.debit_account_id = debit;
  t.credit_account_id = credit;
  t.amount = amount;
  t.ledger = ledger;
  t.code = 1;
  t.kind = TransferKind::kSinglePhase;
  return t;
}

inline Transfer pending(Uuid id, Uuid debit, Uuid credit, u128 amount,
                        std::uint32_t timeout_seconds = 0, std::uint32_t ledger = 1) {
  Transfer t = single(id, debit, credit, amount, ledger);
  t.kind = TransferKind::kPending;
  t.timeout_seconds = timeout_seconds;
  return t;
}

inline Transfer post(Uuid id, Uuid pending_id, u128 amount = 0) {
  Transfer t;
  t.id = id;
  t.pending_id = pending_id;
  t.amount = amount;
  t.kind = TransferKind::kPostPending;
  return t;
}

inline Transfer void_pending(Uuid id, Uuid pending_id) {
  Transfer t;
  t.id = id;
  t.pending_id = pending_id;
  t.kind = TransferKind::kVoidPending;
  return t;
}

// Result codes as names, or one "error:<code>" entry when the call failed.
inline asio::awaitable<std::vector<std::string>> create(Ledger& ledger,
                                                        std::vector<Transfer> transfers) {
  auto results = co_await ledger.create_transfers(std::move(transfers));
  std::vector<std::string> out;
  if (!results) {
    out.push_back("error:" + results.error().code);
    co_return out;
  }
  for (auto r : *results) out.emplace_back(name(r));
  co_return out;
}

inline asio::awaitable<std::vector<std::string>> create(Ledger& ledger, Transfer transfer) {
  std::vector<Transfer> one;
  one.push_back(std::move(transfer));
  co_return co_await create(ledger, std::move(one));
}

inline asio::awaitable<std::vector<std::string>> create_accounts(Ledger& ledger,
                                                                 std::vector<Account> accounts) {
  auto results = co_await ledger.create_accounts(std::move(accounts));
  std::vector<std::string> out;
  if (!results) {
    out.push_back("error:" + results.error().code);
    co_return out;
  }
  for (auto r : *results) out.emplace_back(name(r));
  co_return out;
}

using Names = std::vector<std::string>;

}  // namespace rafiki::ledger::test
