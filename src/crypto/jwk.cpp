// JWK import and export for Ed25519 public keys (declared in crypto/ed25519.h).
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>

#include "base/encoding.h"
#include "crypto/ed25519.h"
#include "crypto/errors.h"

namespace rafiki::crypto {
namespace {

// Long enough to show what a client sent in a wrong kty/crv/alg, short enough for a log line.
constexpr std::size_t kEchoMaxChars = 32;

std::unexpected<Error> bad_jwk(std::string message) {
  return fail(kErrorInvalidJwk, "invalid JWK: " + std::move(message));
}

std::string echo(std::string_view text) {
  std::string out(text.substr(0, kEchoMaxChars));
  if (text.size() > kEchoMaxChars) out += "...";
  return "\"" + out + "\"";
}

// A required string member.
Result<std::string_view> member(const boost::json::object& object, std::string_view name) {
  const boost::json::value* value = object.if_contains(name);
  if (value == nullptr) return bad_jwk("missing \"" + std::string(name) + "\"");
  const boost::json::string* text = value->if_string();
  if (text == nullptr) return bad_jwk("\"" + std::string(name) + "\" must be a string");
  return std::string_view(*text);
}

Result<void> require_value(const boost::json::object& object, std::string_view name,
                           std::string_view expected) {
  auto value = member(object, name);
  if (!value) return std::unexpected(value.error());
  if (*value != expected) {
    return bad_jwk("\"" + std::string(name) + "\" must be \"" + std::string(expected) + "\", got " +
                   echo(*value));
  }
  return {};
}

bool is_base64url_alphabet(std::string_view text) {
  for (char c : text) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Result<Jwk> jwk_from_json(const boost::json::value& value) {
  const boost::json::object* object = value.if_object();
  if (object == nullptr) return bad_jwk("not a JSON object");
  if (auto ok = require_value(*object, "kty", "OKP"); !ok) return std::unexpected(ok.error());
  if (auto ok = require_value(*object, "crv", "Ed25519"); !ok) return std::unexpected(ok.error());
  if (auto ok = require_value(*object, "alg", "EdDSA"); !ok) return std::unexpected(ok.error());
  if (object->contains("use")) {
    if (auto ok = require_value(*object, "use", "sig"); !ok) return std::unexpected(ok.error());
  }
  if (object->contains("d")) {
    return bad_jwk("carries the private key member \"d\"; send only the public key");
  }

  auto kid = member(*object, "kid");
  if (!kid) return std::unexpected(kid.error());
  if (kid->empty()) return bad_jwk("\"kid\" is empty");
  if (kid->size() > kJwkKidMaxBytes) {
    return bad_jwk("\"kid\" longer than " + std::to_string(kJwkKidMaxBytes) + " bytes");
  }

  auto x = member(*object, "x");
  if (!x) return std::unexpected(x.error());
  // Unpadded base64url only (RFC 7515 §2; the Open Payments schema pattern ^[a-zA-Z0-9-_]+$).
  std::optional<Bytes> raw;
  if (is_base64url_alphabet(*x)) raw = encoding::base64url_decode(*x);
  if (!raw) return bad_jwk("\"x\" is not unpadded base64url");
  if (raw->size() != kEd25519PublicKeyBytes) {
    return bad_jwk("\"x\" must encode 32 bytes, got " + std::to_string(raw->size()));
  }
  auto key = Ed25519PublicKey::from_raw(*raw);
  if (!key) return bad_jwk(key.error().message);
  return Jwk{std::string(*kid), *std::move(key)};
}

Result<Jwk> jwk_from_text(std::string_view text) {
  if (text.size() > kJwkTextMaxBytes) {
    return bad_jwk("text longer than " + std::to_string(kJwkTextMaxBytes) + " bytes");
  }
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(text, ec);
  if (ec) return bad_jwk("not JSON (" + ec.message() + ")");
  return jwk_from_json(value);
}

boost::json::object jwk_to_json(const Jwk& jwk) {
  return boost::json::object{{"kid", jwk.kid},
                             {"alg", "EdDSA"},
                             {"kty", "OKP"},
                             {"crv", "Ed25519"},
                             {"x", encoding::base64url_encode(jwk.key.raw())}};
}

std::string jwk_to_text(const Jwk& jwk) {
  return boost::json::serialize(jwk_to_json(jwk));
}

}  // namespace rafiki::crypto
