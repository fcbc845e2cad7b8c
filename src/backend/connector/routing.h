// The connector's routing table (reference/connector.md §6): per tenant, ILP address prefixes
// → the peers (and their assets) that can reach them. Lookup is longest prefix on whole address
// segments ("g.a" covers "g.a.b" but not "g.ab"), never back to the incoming peer, optionally
// restricted to one asset; among equal candidates one is picked at random. The peer domain
// fills the table at start-up and on peer create/update/delete; lookups allocate nothing.
// Thread-safe (readers share a lock).
#pragma once

#include <cstddef>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace rafiki::backend::connector {

struct Route {
  std::string peer_id;
  std::string asset_id;
};

class RoutingTable {
 public:
  // Adds a route; false (nothing added) when `prefix` is neither a valid ILP address nor a bare
  // scheme ("g", "test"). Adding the
  // same (prefix, peer) twice keeps one entry (the asset is updated).
  bool add(std::string_view tenant_id, std::string_view prefix, std::string_view peer_id,
           std::string_view asset_id);
  // Removes one prefix of one peer; false when it was not there.
  bool remove(std::string_view tenant_id, std::string_view prefix, std::string_view peer_id);
  // Removes every prefix of a peer (peer deleted); returns how many were removed.
  std::size_t remove_peer(std::string_view tenant_id, std::string_view peer_id);

  // The next hop for `destination` within `tenant_id`: the longest matching prefix that still
  // has a candidate after dropping `exclude_peer_id` and, when `asset_id` is not empty, other
  // assets. nullopt when none.
  std::optional<Route> next_hop(std::string_view destination, std::string_view tenant_id,
                                std::string_view exclude_peer_id = {},
                                std::string_view asset_id = {}) const;

  std::size_t size() const;  // number of (tenant, prefix, peer) entries

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Prefixes = std::unordered_map<std::string, std::vector<Route>, Hash, std::equal_to<>>;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, Prefixes, Hash, std::equal_to<>> tenants_;
};

}  // namespace rafiki::backend::connector
