#include "backend/connector/routing.h"

#include <algorithm>
#include <mutex>
#include <random>

#include "ilp/address.h"

namespace rafiki::backend::connector {

bool RoutingTable::add(std::string_view tenant_id, std::string_view prefix,
                       std::string_view peer_id, std::string_view asset_id) {
  // A valid address, or a bare allocation scheme ("test", "g") as a catch-all route.
  if (!ilp::is_valid_address(prefix) && !ilp::is_valid_address(std::string(prefix) + ".x")) {
    return false;
  }
  std::unique_lock lock(mutex_);
  auto tenant = tenants_.find(tenant_id);
  if (tenant == tenants_.end()) tenant = tenants_.emplace(std::string(tenant_id), Prefixes{}).first;
  auto entry = tenant->second.find(prefix);
  if (entry == tenant->second.end())
    entry = tenant->second.emplace(std::string(prefix), std::vector<Route>{}).first;
  auto& routes = entry->second;
  auto same = std::find_if(routes.begin(), routes.end(),
                           [&](const Route& r) { return r.peer_id == peer_id; });
  if (same != routes.end()) {
    same->asset_id = std::string(asset_id);
  } else {
    routes.push_back(Route{std::string(peer_id), std::string(asset_id)});
  }
  return true;
}

bool RoutingTable::remove(std::string_view tenant_id, std::string_view prefix,
                          std::string_view peer_id) {
  std::unique_lock lock(mutex_);
  auto tenant = tenants_.find(tenant_id);
  if (tenant == tenants_.end()) return false;
  auto entry = tenant->second.find(prefix);
  if (entry == tenant->second.end()) return false;
  auto& routes = entry->second;
  auto removed = std::erase_if(routes, [&](const Route& r) { return r.peer_id == peer_id; });
  if (routes.empty()) tenant->second.erase(entry);
  if (tenant->second.empty()) tenants_.erase(tenant);
  return removed > 0;
}

std::size_t RoutingTable::remove_peer(std::string_view tenant_id, std::string_view peer_id) {
  std::unique_lock lock(mutex_);
  auto tenant = tenants_.find(tenant_id);
  if (tenant == tenants_.end()) return 0;
  std::size_t removed = 0;
  for (auto it = tenant->second.begin(); it != tenant->second.end();) {
    removed += std::erase_if(it->second, [&](const Route& r) { return r.peer_id == peer_id; });
    it = it->second.empty() ? tenant->second.erase(it) : std::next(it);
  }
  if (tenant->second.empty()) tenants_.erase(tenant);
  return removed;
}

std::optional<Route> RoutingTable::next_hop(std::string_view destination,
                                            std::string_view tenant_id,
                                            std::string_view exclude_peer_id,
                                            std::string_view asset_id) const {
  std::shared_lock lock(mutex_);
  auto tenant = tenants_.find(tenant_id);
  if (tenant == tenants_.end()) return std::nullopt;
  auto usable = [&](const Route& r) {
    return r.peer_id != exclude_peer_id && (asset_id.empty() || r.asset_id == asset_id);
  };
  // Longest prefix first: the whole destination, then cut at each '.' from the right.
  std::string_view prefix = destination;
  while (!prefix.empty()) {
    auto entry = tenant->second.find(prefix);
    if (entry != tenant->second.end()) {
      const auto& routes = entry->second;
      auto candidates =
          static_cast<std::size_t>(std::count_if(routes.begin(), routes.end(), usable));
      if (candidates > 0) {
        thread_local std::minstd_rand random{std::random_device{}()};
        auto pick = std::uniform_int_distribution<std::size_t>(0, candidates - 1)(random);
        for (const auto& r : routes) {
          if (!usable(r)) continue;
          if (pick-- == 0) return r;
        }
      }
    }
    auto dot = prefix.rfind('.');
    if (dot == std::string_view::npos) break;
    prefix = prefix.substr(0, dot);
  }
  return std::nullopt;
}

std::size_t RoutingTable::size() const {
  std::shared_lock lock(mutex_);
  std::size_t n = 0;
  for (const auto& [tenant, prefixes] : tenants_)
    for (const auto& [prefix, routes] : prefixes) n += routes.size();
  return n;
}

}  // namespace rafiki::backend::connector
