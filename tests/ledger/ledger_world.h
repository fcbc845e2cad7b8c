// A small ledger world shared by the ledger's tests: a settlement account and two liquidity
// accounts on ledger 1, one liquidity account on ledger 2; `alice` is funded with 1000.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "ledger/ledger_test_util.h"
#include "store/async_util.h"

namespace rafiki::ledger::test {

inline constexpr std::uint32_t kLiquidity = account_flags::kDebitsMustNotExceedCredits;
inline constexpr std::uint32_t kSettlement = account_flags::kCreditsMustNotExceedDebits;

inline boost::asio::awaitable<Account> get(Ledger& ledger, Uuid id) {
  auto a = co_await ledger.balances(id);
  if (!a || !*a) throw std::runtime_error("account missing: " + id.str());
  co_return **a;
}

struct World {
  Uuid settlement = Uuid::v4();
  Uuid alice = Uuid::v4();
  Uuid bob = Uuid::v4();
  Uuid other_ledger = Uuid::v4();
};

inline boost::asio::awaitable<World> make_world(Ledger& ledger) {
  World w;
  std::vector<Account> accounts{account(w.settlement, 1, kSettlement, 101),
                                account(w.alice, 1, kLiquidity, 3),
                                account(w.bob, 1, kLiquidity, 3),
                                account(w.other_ledger, 2, kLiquidity, 3)};
  auto created = co_await create_accounts(ledger, std::move(accounts));
  if (created != Names{"ok", "ok", "ok", "ok"}) throw std::runtime_error("accounts");
  auto funded = co_await create(ledger, single(Uuid::v4(), w.settlement, w.alice, 1000));
  if (funded != Names{"ok"}) throw std::runtime_error("funding: " + funded[0]);
  co_return w;
}

// Runs `batch` while another writer holds alice's and bob's locks (see below).

// Runs `batch` while another writer holds alice's and bob's locks after running `sql`: the
// batch makes its reads before locking, then waits for the locks until the writer commits.
inline boost::asio::awaitable<Names> create_while_another_writer_commits(boost::asio::any_io_executor ex, std::string url,
                                                     Ledger ledger, World w, std::string sql,
                                                     std::vector<Transfer> batch,
                                                     int hold_ms = 300) {
  store::PgPool other = make_pool(ex, url, 1);
  struct Answer {
    Names names;
    bool done = false;
  };
  auto answer = std::make_shared<Answer>();  // shared with the batch, which may outlive us
  auto held = co_await other.transaction([&](store::PgConn& conn) -> boost::asio::awaitable<Result<int>> {
    auto locked = co_await conn.query(
        "SELECT 1 FROM ledger_accounts WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE",
        "{" + w.alice.str() + "," + w.bob.str() + "}");
    if (!locked) co_return std::unexpected(locked.error());
    auto changed = co_await conn.query(sql);
    if (!changed) co_return std::unexpected(changed.error());
    boost::asio::co_spawn(
        ex,
        [](Ledger ledger, std::vector<Transfer> batch,
           std::shared_ptr<Answer> out) -> boost::asio::awaitable<void> {
          out->names = co_await create(ledger, std::move(batch));
          out->done = true;
        }(ledger, std::move(batch), answer),
        boost::asio::detached);
    co_await rafiki::testing::sleep_ms(hold_ms);
    co_return 0;
  });
  if (!held) throw std::runtime_error("writer: " + held.error().message);
  for (int i = 0; i < 200 && !answer->done; ++i) co_await rafiki::testing::sleep_ms(50);
  if (!answer->done) throw std::runtime_error("the batch never answered");
  co_return answer->names;
}


}  // namespace rafiki::ledger::test
