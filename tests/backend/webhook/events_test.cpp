// The webhook events outbox against a real PostgreSQL: what is stored and for whom, inside the
// caller's transaction, and the listing behind the Admin API (filters, tenancy, Relay pages both
// ways).
#include <gtest/gtest.h>

#include "backend/webhook/util.h"

namespace rafiki::backend::test::webhook_test {

TEST(WebhookEmit, RecipientsAreTheOwnerAndTheOperatorWhenConfigured) {
  TestDatabase db;
  run_test([&](asio::io_context&) -> awaitable<void> {
    auto pg = co_await open_db(db.url());
    auto plain = co_await make_service(test_settings(kNoSinkUrl), pg);
    auto settings = test_settings(kNoSinkUrl);
    settings.send_tenant_webhooks_to_operator = true;
    auto copying = co_await make_service(settings, pg);

    auto recipients = [](WebhookService& s, Uuid id) -> awaitable<std::set<Uuid>> {
      auto ds = co_await s.deliveries(id);
      if (!ds) throw std::runtime_error(ds.error().message);
      std::set<Uuid> out;
      for (const auto& d : *ds) {
        out.insert(d.recipient_tenant_id);
        EXPECT_EQ(d.status, DeliveryStatus::kPending);
        EXPECT_EQ(d.attempts, 0);
      }
      co_return out;
    };
    auto a = co_await plain->emit(event(event_type::kOutgoingPaymentCreated, kTenantA));
    CO_ASSERT_OK(a);
    auto to_a = co_await recipients(*plain, *a);
    EXPECT_EQ(to_a, (std::set<Uuid>{kTenantA}));
    auto b = co_await copying->emit(event(event_type::kOutgoingPaymentCreated, kTenantA));
    CO_ASSERT_OK(b);
    auto to_a_and_operator = co_await recipients(*plain, *b);
    EXPECT_EQ(to_a_and_operator, (std::set<Uuid>{kTenantA, kOperator}));
    auto c = co_await copying->emit(event(event_type::kOutgoingPaymentCreated, kOperator));
    CO_ASSERT_OK(c);
    auto to_operator = co_await recipients(*plain, *c);
    EXPECT_EQ(to_operator, (std::set<Uuid>{kOperator}));
  });
}

TEST(WebhookEmit, ACallerChosenIdIsStoredOnceAndBadEventsAreRefused) {
  TestDatabase db;
  run_test([&](asio::io_context&) -> awaitable<void> {
    auto service = co_await make_service(test_settings(kNoSinkUrl), co_await open_db(db.url()));
    Uuid id = Uuid::v4();
    NewEvent e = event(event_type::kWalletAddressNotFound, kTenantA);
    e.id = id;
    NewEvent same = e;
    auto first = co_await service->emit(std::move(e));
    CO_ASSERT_OK(first);
    EXPECT_EQ(*first, id);
    auto second = co_await service->emit(std::move(same));
    CO_ASSERT_OK(second);
    EXPECT_EQ(*second, id);
    auto ds = co_await service->deliveries(id);
    CO_ASSERT_OK(ds);
    EXPECT_EQ(ds->size(), 1u);

    auto empty = co_await service->emit(event(kEmptyType, kTenantA));
    CO_ASSERT(!empty.has_value());
    EXPECT_EQ(empty.error().code, describe(WebhookError::kInvalidEvent).name);
    boost::json::object huge;
    huge["blob"] = std::string(kEventDataBytesMax, 'x');
    auto too_large = co_await service->emit(event(event_type::kAssetLiquidityLow, kTenantA, huge));
    CO_ASSERT(!too_large.has_value());
    EXPECT_EQ(too_large.error().code, describe(WebhookError::kInvalidEvent).name);
    boost::json::object just_fits;
    just_fits["blob"] = std::string(kEventDataBytesMax - 11, 'x');  // {"blob":"…"}
    auto fits = co_await service->emit(event(event_type::kAssetLiquidityLow, kTenantB, just_fits));
    CO_ASSERT_OK(fits);
    auto unknown = co_await service->get(Uuid::v4());
    CO_ASSERT(!unknown.has_value());
    EXPECT_EQ(failure_text(unknown.error()), describe(WebhookError::kUnknownEvent).name);
  });
  EXPECT_EQ(db.query_value("SELECT count(*) FROM webhook_events"), "2");
  EXPECT_EQ(db.query_value("SELECT count(*) FROM webhook_events WHERE tenant_id = '" +
                           kTenantA.str() + "'"),
            "1");
}

TEST(WebhookEmit, InsideARolledBackTransactionLeavesNothing) {
  TestDatabase db;
  run_test([&](asio::io_context&) -> awaitable<void> {
    auto pg = co_await open_db(db.url());
    auto service = co_await make_service(test_settings(kNoSinkUrl), pg);
    WebhookService* s = service.get();
    auto rolled_back = co_await pg.transaction([s](store::PgConn& conn) -> awaitable<Result<int>> {
      auto id = co_await s->emit(conn, event(event_type::kIncomingPaymentCreated, kTenantA));
      if (!id) co_return std::unexpected(id.error());
      co_return fail("test.abort", "the caller's work failed");
    });
    EXPECT_FALSE(rolled_back.has_value());
    auto committed = co_await pg.transaction([s](store::PgConn& conn) -> awaitable<Result<Uuid>> {
      co_return co_await s->emit(conn, event(event_type::kIncomingPaymentCreated, kTenantB));
    });
    CO_ASSERT_OK(committed);
  });
  EXPECT_EQ(db.query_value("SELECT count(*) FROM webhook_events"), "1");
  EXPECT_EQ(db.query_value("SELECT count(*) FROM webhook_deliveries"), "1");
  EXPECT_EQ(db.query_value("SELECT tenant_id FROM webhook_events"), kTenantB.str());
}

namespace {

std::vector<Uuid> ids_of(const EventPage& page) {
  std::vector<Uuid> out;
  for (const auto& e : page.events) out.push_back(e.id);
  return out;
}

std::vector<Uuid> slice(const std::vector<Uuid>& v, std::size_t from, std::size_t n) {
  return std::vector<Uuid>(v.begin() + static_cast<long>(from),
                           v.begin() + static_cast<long>(std::min(v.size(), from + n)));
}

}  // namespace

TEST(WebhookList, FiltersByTypeWithCardEventsHiddenByDefaultAndScopesByTenant) {
  TestDatabase db;
  run_test([&](asio::io_context&) -> awaitable<void> {
    auto service = co_await make_service(test_settings(kNoSinkUrl), co_await open_db(db.url()));
    std::map<std::string, Uuid> by;
    for (auto [type, tenant] :
         std::vector<std::pair<std::string, Uuid>>{{"incoming_payment.created", kTenantA},
                                                   {"outgoing_payment.funded", kTenantA},
                                                   {"outgoing_payment.cancelled", kTenantB},
                                                   {"outgoing_payment.created", kTenantB},
                                                   {"asset.liquidity_low", kTenantA}}) {
      auto id = co_await service->emit(event(type, tenant));
      CO_ASSERT_OK(id);
      by[type] = *id;
    }
    auto types = [&](ListQuery q) -> awaitable<std::set<std::string>> {
      auto page = co_await service->list(std::move(q));
      if (!page) throw std::runtime_error(failure_text(page.error()));
      std::set<std::string> out;
      for (const auto& e : page->events) out.insert(e.type);
      co_return out;
    };
    using Set = std::set<std::string>;
    ListQuery all;
    auto default_types = co_await types(all);
    EXPECT_EQ(default_types,
              (Set{"incoming_payment.created", "outgoing_payment.created", "asset.liquidity_low"}));
    ListQuery empty_not_in;
    empty_not_in.filter.type_not_in = std::vector<std::string>{};
    auto with_empty_not_in = co_await types(empty_not_in);
    auto with_no_filter = co_await types(all);
    EXPECT_EQ(with_empty_not_in, with_no_filter);
    ListQuery not_in;
    not_in.filter.type_not_in = std::vector<std::string>{"asset.liquidity_low"};
    auto with_not_in = co_await types(not_in);
    EXPECT_EQ(with_not_in, (Set{"incoming_payment.created", "outgoing_payment.created",
                                "outgoing_payment.funded", "outgoing_payment.cancelled"}));
    ListQuery in;
    in.filter.type_in = std::vector<std::string>{"outgoing_payment.created", "no.such"};
    auto with_in = co_await types(in);
    EXPECT_EQ(with_in, (Set{"outgoing_payment.created"}));
    // in names a hidden type but the default notIn still applies.
    ListQuery in_hidden;
    in_hidden.filter.type_in = std::vector<std::string>{"outgoing_payment.funded"};
    auto hidden_in = co_await types(in_hidden);
    EXPECT_EQ(hidden_in, Set{});
    in_hidden.filter.type_not_in = std::vector<std::string>{"x"};
    auto hidden_in_shown = co_await types(in_hidden);
    EXPECT_EQ(hidden_in_shown, (Set{"outgoing_payment.funded"}));
    ListQuery in_empty;
    in_empty.filter.type_in = std::vector<std::string>{};
    auto with_empty_in = co_await types(in_empty);
    EXPECT_EQ(with_empty_in, Set{});
    // Odd characters in a filter are just strings.
    ListQuery odd;
    odd.filter.type_in = std::vector<std::string>{"a\"b", "c\\d", "{e,f}", "'; DROP TABLE x"};
    auto with_odd_in = co_await types(odd);
    EXPECT_EQ(with_odd_in, Set{});

    ListQuery a;
    a.tenant_id = kTenantA;
    auto of_a = co_await types(a);
    EXPECT_EQ(of_a, (Set{"incoming_payment.created", "asset.liquidity_low"}));
    ListQuery b;
    b.tenant_id = kTenantB;
    auto of_b = co_await types(b);
    EXPECT_EQ(of_b, (Set{"outgoing_payment.created"}));

    auto own = co_await service->get(by["outgoing_payment.created"], kTenantB);
    CO_ASSERT(own.has_value());
    auto others = co_await service->get(by["outgoing_payment.created"], kTenantA);
    CO_ASSERT(!others.has_value());
    EXPECT_EQ(failure_text(others.error()), describe(WebhookError::kUnknownEvent).name);
  });
}

TEST(WebhookList, PagesForwardAndBackwardInBothSortOrders) {
  constexpr int kEvents = 7;
  TestDatabase db;
  run_test([&](asio::io_context&) -> awaitable<void> {
    auto service = co_await make_service(test_settings(kNoSinkUrl), co_await open_db(db.url()));
    std::vector<Uuid> emitted;
    for (int i = 0; i < kEvents; ++i) {
      auto id = co_await service->emit(event(event_type::kIncomingPaymentCreated, kTenantA));
      CO_ASSERT_OK(id);
      emitted.push_back(*id);
    }
    // Another tenant's events never show in A's pages.
    CO_ASSERT_OK(co_await service->emit(event(event_type::kIncomingPaymentCreated, kTenantB)));

    auto page = [&](ListQuery q) -> awaitable<EventPage> {
      q.tenant_id = kTenantA;
      auto p = co_await service->list(std::move(q));
      if (!p) throw std::runtime_error(failure_text(p.error()));
      co_return std::move(*p);
    };
    ListQuery asc_all;
    asc_all.ascending = true;
    EventPage everything = co_await page(asc_all);
    EXPECT_EQ(ids_of(everything), emitted);  // oldest first
    EXPECT_FALSE(everything.has_next_page);
    EXPECT_FALSE(everything.has_previous_page);
    std::vector<Uuid> desc(emitted.rbegin(), emitted.rend());

    // Newest first (the default), forward in pages of 3.
    ListQuery q;
    q.first = 3;
    EventPage p1 = co_await page(q);
    EXPECT_EQ(ids_of(p1), slice(desc, 0, 3));
    EXPECT_TRUE(p1.has_next_page);
    EXPECT_FALSE(p1.has_previous_page);
    q.after = p1.events.back().id.str();
    EventPage p2 = co_await page(q);
    EXPECT_EQ(ids_of(p2), slice(desc, 3, 3));
    EXPECT_TRUE(p2.has_next_page);
    EXPECT_TRUE(p2.has_previous_page);
    q.after = p2.events.back().id.str();
    EventPage p3 = co_await page(q);
    EXPECT_EQ(ids_of(p3), slice(desc, 6, 3));
    EXPECT_FALSE(p3.has_next_page);
    EXPECT_TRUE(p3.has_previous_page);

    // Backward from the last page's start.
    ListQuery back;
    back.last = 2;
    back.before = p3.events.front().id.str();
    EventPage b1 = co_await page(back);
    EXPECT_EQ(ids_of(b1), slice(desc, 4, 2));
    EXPECT_TRUE(b1.has_next_page);
    EXPECT_TRUE(b1.has_previous_page);
    back.before = desc[1].str();
    EventPage b2 = co_await page(back);
    EXPECT_EQ(ids_of(b2), slice(desc, 0, 1));
    EXPECT_FALSE(b2.has_previous_page);
    EXPECT_TRUE(b2.has_next_page);

    // Oldest first, forward and backward.
    ListQuery asc;
    asc.ascending = true;
    asc.first = 4;
    asc.after = emitted[1].str();
    auto asc_page = co_await page(asc);
    EXPECT_EQ(ids_of(asc_page), slice(emitted, 2, 4));
    ListQuery asc_back;
    asc_back.ascending = true;
    asc_back.last = 2;
    asc_back.before = emitted[5].str();
    auto asc_back_page = co_await page(asc_back);
    EXPECT_EQ(ids_of(asc_back_page), slice(emitted, 3, 2));
    // `after` wins over `before`.
    asc_back.after = emitted[0].str();
    asc_back.first = 1;
    auto after_wins_page = co_await page(asc_back);
    EXPECT_EQ(ids_of(after_wins_page), slice(emitted, 1, 1));

    // first 0 means the default; unknown and malformed cursors give empty pages.
    ListQuery zero;
    zero.first = 0;
    auto default_size_page = co_await page(zero);
    EXPECT_EQ(default_size_page.events.size(), static_cast<std::size_t>(kEvents));
    ListQuery unknown;
    unknown.after = Uuid::v4().str();
    EventPage empty = co_await page(unknown);
    EXPECT_TRUE(empty.events.empty());
    EXPECT_FALSE(empty.has_next_page);
    EXPECT_FALSE(empty.has_previous_page);
    ListQuery malformed;
    malformed.before = "not-a-uuid";
    auto malformed_page = co_await page(malformed);
    EXPECT_TRUE(malformed_page.events.empty());

    // Bad arguments, with upstream's messages.
    ListQuery backwards_from_start;
    backwards_from_start.last = 2;
    auto e1 = co_await service->list(backwards_from_start);
    CO_ASSERT(!e1.has_value());
    EXPECT_EQ(failure_text(e1.error()), describe(WebhookError::kPaginateBackwardsFromStart).name);
    EXPECT_EQ(describe(e1.error().domain()).message, "Can't paginate backwards from the start.");
    backwards_from_start.after = emitted[0].str();  // {after, last} fails the same way
    auto after_and_last = co_await service->list(backwards_from_start);
    EXPECT_FALSE(after_and_last.has_value());
    for (int bad : {-1, 101}) {
      ListQuery big;
      big.first = bad;
      auto e2 = co_await service->list(big);
      CO_ASSERT(!e2.has_value());
      EXPECT_EQ(failure_text(e2.error()), describe(WebhookError::kPaginationIndex).name);
      EXPECT_EQ(describe(e2.error().domain()).message, "Pagination index error");
      ListQuery big_last;
      big_last.before = emitted[0].str();
      big_last.last = bad;
      auto bad_last = co_await service->list(big_last);
      EXPECT_FALSE(bad_last.has_value());
    }
    ListQuery max;
    max.first = 100;
    auto largest_page = co_await service->list(max);
    EXPECT_TRUE(largest_page.has_value());
  });
}

}  // namespace rafiki::backend::test::webhook_test
