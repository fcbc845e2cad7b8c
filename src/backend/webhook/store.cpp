#include "backend/webhook/store.h"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <utility>

#include "store/pg_binary.h"

namespace rafiki::backend::webhook {
namespace {

namespace asio = boost::asio;
using store::PgParam;
using store::PgRow;

constexpr std::string_view kEventColumns =
    "id, type, data::text AS data, tenant_id, withdrawal_account_id, withdrawal_asset_id, "
    "withdrawal_amount, created_at";

boost::json::object parse_object(std::string_view text) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(text, ec);
  if (ec || !value.is_object()) return {};  // the column's CHECK makes this unreachable
  return std::move(value.as_object());
}

Event read_event(const PgRow& row) {
  Event e;
  e.id = row.get<Uuid>("id");
  e.type = row.get<std::string>("type");
  e.data = parse_object(row.get<std::string_view>("data"));
  e.tenant_id = row.get<Uuid>("tenant_id");
  if (auto account = row.get<std::optional<Uuid>>("withdrawal_account_id")) {
    e.withdrawal = Withdrawal{*account, row.get<Uuid>("withdrawal_asset_id"),
                              row.get<money::u128>("withdrawal_amount")};
  }
  e.created_at = row.get<TimePoint>("created_at");
  return e;
}

// The filter shared by a page and its pageInfo probes; parameters $1..$3.
constexpr std::string_view kListFilter =
    "($1::uuid IS NULL OR tenant_id = $1::uuid)"
    " AND ($2::text[] IS NULL OR type = ANY($2::text[]))"
    " AND NOT (type = ANY($3::text[]))";

}  // namespace

asio::awaitable<Result<void>> WebhookStore::insert(const NewEvent& event, const Uuid& id,
                                                   std::string data,
                                                   const std::vector<Uuid>& recipients) {
  auto conn = co_await pg_.acquire();
  if (!conn) co_return std::unexpected(std::move(conn.error()));
  co_return co_await insert(*conn, event, id, std::move(data), recipients);
}

asio::awaitable<Result<void>> WebhookStore::insert(store::PgConn& conn, const NewEvent& event,
                                                   const Uuid& id, std::string data,
                                                   const std::vector<Uuid>& recipients) {
  std::optional<Uuid> account, asset;
  std::optional<money::u128> amount;
  if (event.withdrawal) {
    account = event.withdrawal->account_id;
    asset = event.withdrawal->asset_id;
    amount = event.withdrawal->amount;
  }
  std::vector<PgParam> params{id,      event.type, std::move(data), event.tenant_id,
                              account, asset,      amount,          store::uuid_array(recipients)};
  auto result = co_await conn.query_params(
      "WITH event AS ("
      "  INSERT INTO webhook_events (id, type, data, tenant_id, withdrawal_account_id,"
      "                              withdrawal_asset_id, withdrawal_amount)"
      "  VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7)"
      "  ON CONFLICT (id) DO NOTHING RETURNING id)"
      " INSERT INTO webhook_deliveries (id, event_id, recipient_tenant_id)"
      " SELECT gen_random_uuid(), event.id, r FROM event, unnest($8::uuid[]) AS r",
      std::move(params));
  if (!result) co_return std::unexpected(std::move(result.error()));
  co_return Result<void>{};
}

asio::awaitable<Result<std::optional<Event>>> WebhookStore::find(const Uuid& id,
                                                                 std::optional<Uuid> tenant_id) {
  std::string sql =
      "SELECT " + std::string(kEventColumns) +
      " FROM webhook_events WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2::uuid)";
  auto result = co_await pg_.query(std::move(sql), id, tenant_id);
  if (!result) co_return std::unexpected(std::move(result.error()));
  if (result->empty()) co_return std::optional<Event>{};
  co_return std::optional<Event>{read_event(result->row(0))};
}

asio::awaitable<Result<EventPage>> WebhookStore::page(const ListQuery& query, int limit) {
  EventPage page;
  // Which cursor applies (after wins), and whether the page is read against the sort order.
  std::optional<std::string> cursor_text = query.after ? query.after : query.before;
  bool backward = !query.after && query.before;
  std::optional<Uuid> cursor;
  if (cursor_text) {
    cursor = Uuid::parse(*cursor_text);
    if (!cursor) co_return page;  // not an event id: nothing is after or before it
  }
  bool ascending = query.ascending != backward;  // the direction rows are read in
  std::string_view order = ascending ? "ASC" : "DESC";
  std::string_view cmp = ascending ? ">" : "<";

  PgParam type_in(std::nullopt);
  if (query.filter.type_in) type_in = store::text_array(*query.filter.type_in);
  const auto& not_in_list = query.filter.type_not_in && !query.filter.type_not_in->empty()
                                ? *query.filter.type_not_in
                                : default_hidden_types();
  PgParam type_not_in = store::text_array(not_in_list);

  std::string sql = "SELECT " + std::string(kEventColumns) + " FROM webhook_events WHERE " +
                    std::string(kListFilter);
  if (cursor) {
    sql += " AND (created_at, id) " + std::string(cmp) +
           " (SELECT created_at, id FROM webhook_events WHERE id = $5)";
  }
  sql += " ORDER BY created_at " + std::string(order) + ", id " + std::string(order) + " LIMIT $4";
  std::vector<PgParam> params{query.tenant_id, type_in, type_not_in, limit};
  if (cursor) params.emplace_back(*cursor);
  auto rows = co_await pg_.query_params(std::move(sql), std::move(params));
  if (!rows) co_return std::unexpected(std::move(rows.error()));
  for (PgRow row : *rows) page.events.push_back(read_event(row));
  if (backward) std::reverse(page.events.begin(), page.events.end());
  if (page.events.empty()) co_return page;

  // pageInfo: is there a row after the last one, and before the first one, in sort order?
  std::string_view after_cmp = query.ascending ? ">" : "<";
  std::string_view before_cmp = query.ascending ? "<" : ">";
  std::string probe = "SELECT EXISTS (SELECT 1 FROM webhook_events WHERE " +
                      std::string(kListFilter) + " AND (created_at, id) " + std::string(after_cmp) +
                      " (SELECT created_at, id FROM webhook_events WHERE id = $4)),"
                      " EXISTS (SELECT 1 FROM webhook_events WHERE " +
                      std::string(kListFilter) + " AND (created_at, id) " +
                      std::string(before_cmp) +
                      " (SELECT created_at, id FROM webhook_events WHERE id = $5))";
  std::vector<PgParam> probe_params{query.tenant_id, type_in, type_not_in, page.events.back().id,
                                    page.events.front().id};
  auto probed = co_await pg_.query_params(std::move(probe), std::move(probe_params));
  if (!probed) co_return std::unexpected(std::move(probed.error()));
  page.has_next_page = probed->row(0).get<bool>(0);
  page.has_previous_page = probed->row(0).get<bool>(1);
  co_return page;
}

asio::awaitable<Result<std::vector<Delivery>>> WebhookStore::deliveries(const Uuid& event_id) {
  auto rows = co_await pg_.query(
      "SELECT id, event_id, recipient_tenant_id, attempts, status, last_status_code, last_error,"
      " process_at FROM webhook_deliveries WHERE event_id = $1 ORDER BY created_at, id",
      event_id);
  if (!rows) co_return std::unexpected(std::move(rows.error()));
  std::vector<Delivery> out;
  for (PgRow row : *rows) {
    Delivery d;
    d.id = row.get<Uuid>("id");
    d.event_id = row.get<Uuid>("event_id");
    d.recipient_tenant_id = row.get<Uuid>("recipient_tenant_id");
    d.attempts = row.get<std::int32_t>("attempts");
    d.status = parse_delivery_status(row.get<std::string_view>("status"))
                   .value_or(DeliveryStatus::kPending);
    d.last_status_code = row.get<std::optional<std::int32_t>>("last_status_code");
    d.last_error = row.get<std::optional<std::string>>("last_error");
    d.process_at = row.get<std::optional<TimePoint>>("process_at");
    out.push_back(std::move(d));
  }
  co_return out;
}

asio::awaitable<Result<std::vector<ClaimedDelivery>>> WebhookStore::claim_due(
    int limit, std::chrono::milliseconds lease) {
  auto rows = co_await pg_.query(
      "WITH due AS ("
      "  SELECT id FROM webhook_deliveries"
      "  WHERE status = 'pending' AND process_at <= now()"
      "  ORDER BY process_at LIMIT $1 FOR UPDATE SKIP LOCKED)"
      " UPDATE webhook_deliveries d"
      " SET process_at = clock_timestamp() + $2::bigint * interval '1 millisecond',"
      "     claim_id = gen_random_uuid(), updated_at = now()"
      " FROM due, webhook_events e"
      " WHERE d.id = due.id AND e.id = d.event_id"
      " RETURNING d.id, d.claim_id, d.recipient_tenant_id, d.attempts, e.id AS event_id,"
      "   e.type, e.data::text AS data",
      limit, static_cast<std::int64_t>(lease.count()));
  if (!rows) co_return std::unexpected(std::move(rows.error()));
  std::vector<ClaimedDelivery> out;
  for (PgRow row : *rows) {
    ClaimedDelivery c;
    c.delivery_id = row.get<Uuid>("id");
    c.claim_id = row.get<Uuid>("claim_id");
    c.recipient_tenant_id = row.get<Uuid>("recipient_tenant_id");
    c.attempts = row.get<std::int32_t>("attempts");
    c.event_id = row.get<Uuid>("event_id");
    c.event_type = row.get<std::string>("type");
    c.event_data = parse_object(row.get<std::string_view>("data"));
    out.push_back(std::move(c));
  }
  co_return out;
}

asio::awaitable<Result<bool>> WebhookStore::extend_lease(const ClaimedDelivery& claimed,
                                                         std::chrono::milliseconds lease) {
  auto result = co_await pg_.query(
      "UPDATE webhook_deliveries"
      " SET process_at = clock_timestamp() + $3::bigint * interval '1 millisecond',"
      "     updated_at = now()"
      " WHERE id = $1 AND claim_id = $2",
      claimed.delivery_id, claimed.claim_id, static_cast<std::int64_t>(lease.count()));
  if (!result) co_return std::unexpected(std::move(result.error()));
  co_return result->affected_rows() == 1;
}

asio::awaitable<Result<bool>> WebhookStore::give_up(const ClaimedDelivery& claimed) {
  auto result = co_await pg_.query(
      "UPDATE webhook_deliveries SET status = 'failed', process_at = NULL, claim_id = NULL,"
      " updated_at = now()"
      " WHERE id = $1 AND claim_id = $2",
      claimed.delivery_id, claimed.claim_id);
  if (!result) co_return std::unexpected(std::move(result.error()));
  co_return result->affected_rows() == 1;
}

asio::awaitable<Result<bool>> WebhookStore::record(const ClaimedDelivery& claimed,
                                                   const AttemptOutcome& outcome, int max_attempts,
                                                   std::chrono::milliseconds base_delay,
                                                   int backoff_steps_max) {
  Result<store::PgResult> result;
  if (outcome.delivered) {
    result = co_await pg_.query(
        "UPDATE webhook_deliveries SET attempts = attempts + 1, status = 'delivered',"
        " last_status_code = $3, last_error = NULL, process_at = NULL, claim_id = NULL,"
        " updated_at = now()"
        " WHERE id = $1 AND claim_id = $2",
        claimed.delivery_id, claimed.claim_id, outcome.status_code);
  } else {
    result = co_await pg_.query(
        "UPDATE webhook_deliveries SET attempts = attempts + 1,"
        " status = CASE WHEN attempts + 1 >= $5 THEN 'failed' ELSE 'pending' END,"
        " process_at = CASE WHEN attempts + 1 >= $5 THEN NULL"
        "   ELSE clock_timestamp() + LEAST(attempts + 1, $7) * $6::bigint * interval '1 "
        "millisecond'"
        "   END,"
        " last_status_code = $3, last_error = $4, claim_id = NULL, updated_at = now()"
        " WHERE id = $1 AND claim_id = $2",
        claimed.delivery_id, claimed.claim_id, outcome.status_code, outcome.error, max_attempts,
        static_cast<std::int64_t>(base_delay.count()), backoff_steps_max);
  }
  if (!result) co_return std::unexpected(std::move(result.error()));
  co_return result->affected_rows() == 1;
}

}  // namespace rafiki::backend::webhook
