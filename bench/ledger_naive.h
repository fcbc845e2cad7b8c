// The baseline for bench/ledger_bench.cpp: the obvious way to write the ledger, one database
// transaction per transfer (several round trips each), on the same schema and with the same
// rules for the happy path (flags checked, accounts locked in id order). Not used by the
// product; kept so the benchmark can show what batching buys.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "base/errors.h"
#include "ledger/model.h"
#include "store/pg.h"

namespace rafiki::bench {

// Creates a pending transfer: true when applied, false when refused (unknown account, flags).
inline boost::asio::awaitable<Result<bool>> naive_pending(store::PgPool& pool, Uuid id, Uuid debit,
                                                          Uuid credit, ledger::u128 amount,
                                                          int timeout_seconds) {
  co_return co_await pool.transaction(
      [&](store::PgConn& conn) -> boost::asio::awaitable<Result<bool>> {
        Uuid first = std::min(debit, credit);
        Uuid second = std::max(debit, credit);
        auto locked = co_await conn.query(
            "SELECT id, flags, debits_pending + debits_posted AS debits, credits_posted "
            "FROM ledger_accounts WHERE id IN ($1, $2) ORDER BY id FOR UPDATE",
            first, second);
        if (!locked) co_return std::unexpected(locked.error());
        if (locked->rows() != 2) co_return false;
        for (store::PgRow row : *locked) {
          if (row.get<Uuid>(0) == debit && (row.get<std::int32_t>(1) & 2) != 0) {
            auto debits = row.get<ledger::u128>(2);
            auto credits = row.get<ledger::u128>(3);
            if (debits + amount > credits) co_return false;
          }
        }
        auto inserted = co_await conn.query(
            "INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount, "
            "ledger, code, flags, timeout_seconds, expires_at, state, created_at) "
            "VALUES ($1, $2, $3, $4, 1, 1, 2, $5::bigint, now() + make_interval(secs => $5::bigint), 1, now())",
            id, debit, credit, amount, timeout_seconds);
        if (!inserted) co_return std::unexpected(inserted.error());
        auto d = co_await conn.query(
            "UPDATE ledger_accounts SET debits_pending = debits_pending + $2 WHERE id = $1", debit,
            amount);
        if (!d) co_return std::unexpected(d.error());
        auto c = co_await conn.query(
            "UPDATE ledger_accounts SET credits_pending = credits_pending + $2 WHERE id = $1",
            credit, amount);
        if (!c) co_return std::unexpected(c.error());
        co_return true;
      });
}

// Posts the full amount of a pending transfer: true when applied.
inline boost::asio::awaitable<Result<bool>> naive_post(store::PgPool& pool, Uuid id,
                                                       Uuid pending_id) {
  co_return co_await pool.transaction(
      [&](store::PgConn& conn) -> boost::asio::awaitable<Result<bool>> {
        auto pending = co_await conn.query(
            "SELECT debit_account_id, credit_account_id, amount, state, expires_at > now() "
            "FROM ledger_transfers WHERE id = $1",
            pending_id);
        if (!pending) co_return std::unexpected(pending.error());
        if (pending->rows() != 1) co_return false;
        Uuid debit = pending->row(0).get<Uuid>(0);
        Uuid credit = pending->row(0).get<Uuid>(1);
        auto amount = pending->row(0).get<ledger::u128>(2);
        Uuid first = std::min(debit, credit);
        Uuid second = std::max(debit, credit);
        auto locked = co_await conn.query(
            "SELECT id FROM ledger_accounts WHERE id IN ($1, $2) ORDER BY id FOR UPDATE", first,
            second);
        if (!locked) co_return std::unexpected(locked.error());
        auto flipped = co_await conn.query(
            "UPDATE ledger_transfers SET state = 2 WHERE id = $1 AND state = 1 "
            "AND (expires_at IS NULL OR expires_at > now())",
            pending_id);
        if (!flipped) co_return std::unexpected(flipped.error());
        if (flipped->affected_rows() != 1) co_return false;
        auto inserted = co_await conn.query(
            "INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount, "
            "pending_id, ledger, code, flags, state, created_at) "
            "VALUES ($1, $2, $3, $4, $5, 1, 1, 4, 0, now())",
            id, debit, credit, amount, pending_id);
        if (!inserted) co_return std::unexpected(inserted.error());
        auto d = co_await conn.query(
            "UPDATE ledger_accounts SET debits_pending = debits_pending - $2, "
            "debits_posted = debits_posted + $2 WHERE id = $1",
            debit, amount);
        if (!d) co_return std::unexpected(d.error());
        auto c = co_await conn.query(
            "UPDATE ledger_accounts SET credits_pending = credits_pending - $2, "
            "credits_posted = credits_posted + $2 WHERE id = $1",
            credit, amount);
        if (!c) co_return std::unexpected(c.error());
        co_return true;
      });
}

}  // namespace rafiki::bench
