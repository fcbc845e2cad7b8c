#include "backend/asset/service.h"

#include "backend/core/backend.h"

namespace rafiki::backend::asset {

namespace asio = boost::asio;

AssetService::AssetService(Backend& backend) : backend_(backend) {}

asio::awaitable<Result<std::optional<Asset>>> AssetService::get(Uuid) {
  co_return fail("asset.unimplemented", "not yet");
}
asio::awaitable<Result<std::optional<Asset>>> AssetService::get_for_tenant(Uuid, Uuid) {
  co_return fail("asset.unimplemented", "not yet");
}
asio::awaitable<Result<std::optional<Asset>>> AssetService::get_including_deleted(Uuid) {
  co_return fail("asset.unimplemented", "not yet");
}
asio::awaitable<Result<std::optional<Asset>>> AssetService::get_by_code_and_scale(Uuid, std::string,
                                                                                  int) {
  co_return fail("asset.unimplemented", "not yet");
}
asio::awaitable<Result<Asset>> AssetService::create(CreateAsset) {
  co_return fail("asset.unimplemented", "not yet");
}
asio::awaitable<Result<Asset>> AssetService::update(UpdateAsset) {
  co_return fail("asset.unimplemented", "not yet");
}
asio::awaitable<Result<Asset>> AssetService::remove(Uuid, Uuid) {
  co_return fail("asset.unimplemented", "not yet");
}
Asset AssetService::from_row(const store::PgRow&) { return Asset{}; }

}  // namespace rafiki::backend::asset
