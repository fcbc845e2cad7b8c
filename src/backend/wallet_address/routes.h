// The Open Payments HTTP side of wallet addresses: the handler serving wallet address documents
// and their JWKS (routes.cpp), mounted as the Open Payments router's fallback.
#pragma once

#include <optional>
#include <string_view>

#include "net/router.h"

namespace rafiki::backend {
struct Backend;
}

namespace rafiki::backend::wallet_address {

// Whether an Accept header admits application/json (absent: yes; q=0 refuses a range).
bool accepts_json(std::optional<std::string_view> accept);

// GET <wallet address> and GET <wallet address>/jwks.json; 404 "Not Found" for other methods.
net::Handler document_handler(Backend& backend);

}  // namespace rafiki::backend::wallet_address
