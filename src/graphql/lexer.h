// Internal to the parser: the token stream of a GraphQL source (spec §2.1, lexical tokens).
// The lexical grammar is written with PEGTL in lexer.cpp only, so PEGTL's templates compile in
// one translation unit.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "graphql/ast.h"

namespace rafiki::graphql::detail {

enum class TokenKind : std::uint8_t {
  kEof,
  kBang,
  kDollar,
  kAmp,
  kParenL,
  kParenR,
  kSpread,
  kColon,
  kEquals,
  kAt,
  kBracketL,
  kBracketR,
  kBraceL,
  kPipe,
  kBraceR,
  kName,
  kInt,
  kFloat,
  kString,
  kBlockString,
  kError,  // a lexical error; its message is in Tokens::error
};

struct Token {
  TokenKind kind = TokenKind::kEof;
  std::uint32_t start = 0;  // byte offsets into the source
  std::uint32_t end = 0;
  SourceLocation loc;
  std::string value;  // Name/Int/Float: the text; String/BlockString: the decoded value
};

struct Tokens {
  std::vector<Token> tokens;  // ends with kEof or kError
  std::string error;          // message of the kError token, without "Syntax Error: "
  bool too_many = false;      // stopped at the token limit
};

Tokens lex(std::string_view source, std::size_t tokens_max);
// The location of a byte offset (used for errors the lexer finds inside a token).
SourceLocation location_of(std::string_view source, std::size_t offset);

const char* token_kind_desc(TokenKind kind);  // "Name", "\"{\"", "<EOF>"
std::string token_desc(const Token& token);   // "Name \"foo\"", "<EOF>"

}  // namespace rafiki::graphql::detail
