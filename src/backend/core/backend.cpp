#include "backend/core/backend.h"

#include <utility>

namespace rafiki::backend {

Backend::Backend(Config config_in, boost::asio::any_io_executor executor_in, store::PgPool pg_in,
                 std::shared_ptr<store::KeyValue> kv_in)
    : config(std::move(config_in)),
      executor(std::move(executor_in)),
      pg(std::move(pg_in)),
      kv(std::move(kv_in)),
      ledger(executor, pg),
      http(executor),
      outbound(OutboundPolicy::from_config(config)) {}

}  // namespace rafiki::backend
