// All SQL on the `fees` table. Rows come back as Fee; nothing here decides anything.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <optional>

#include "backend/core/pagination.h"
#include "backend/fee/model.h"
#include "base/errors.h"
#include "store/pg.h"

namespace rafiki::backend::fee {

class FeeStore {
 public:
  explicit FeeStore(store::PgPool pg) : pg_(std::move(pg)) {}

  // Inserts a fee row. Fails with store::kPgForeignKeyViolation when the asset does not exist.
  boost::asio::awaitable<Result<Fee>> insert(const Fee& fee);
  // The newest fee of `type` for the asset; nullopt when none was ever set.
  boost::asio::awaitable<Result<std::optional<Fee>>> newest(Uuid asset_id, FeeType type);
  // A page of the asset's fees (every type), as upstream pages them.
  boost::asio::awaitable<Result<Paged<Fee>>> page(Uuid asset_id, const PageArgs& args);

 private:
  store::PgPool pg_;
};

}  // namespace rafiki::backend::fee
