// The lexical grammar of GraphQL (spec §2.1) in PEGTL. The grammar accepts exactly the valid
// tokens; where it stops early, diagnose() finds the reason and words it as graphql-js does.
#include "graphql/lexer.h"

#include <fmt/format.h>

#include <tao/pegtl.hpp>

#include "graphql/parser.h"

namespace rafiki::graphql::detail {
namespace {

namespace p = tao::pegtl;

// --- grammar ---------------------------------------------------------------------------------
struct bom : p::string<'\xEF', '\xBB', '\xBF'> {};
struct comment : p::seq<p::one<'#'>, p::star<p::not_one<'\r', '\n'>>> {};
struct ignored : p::sor<p::one<' ', '\t', ',', '\n', '\r'>, comment, bom> {};

struct spread : p::string<'.', '.', '.'> {};
struct punctuator : p::one<'!', '$', '&', '(', ')', ':', '=', '@', '[', ']', '{', '|', '}'> {};
struct name : p::identifier {};

struct int_part : p::seq<p::opt<p::one<'-'>>,
                         p::sor<p::one<'0'>, p::seq<p::range<'1', '9'>, p::star<p::digit>>>> {};
struct fraction : p::seq<p::one<'.'>, p::plus<p::digit>> {};
struct exponent : p::seq<p::one<'e', 'E'>, p::opt<p::one<'+', '-'>>, p::plus<p::digit>> {};
struct number : p::seq<int_part, p::opt<fraction>, p::opt<exponent>,
                       p::not_at<p::sor<p::digit, p::one<'.'>, p::identifier_first>>> {};

struct escaped_unicode_variable
    : p::seq<p::one<'{'>, p::rep_min_max<1, 8, p::xdigit>, p::one<'}'>> {};
struct escaped_unicode
    : p::seq<p::one<'u'>, p::sor<escaped_unicode_variable, p::rep<4, p::xdigit>>> {};
struct escape : p::seq<p::one<'\\'>,
                       p::sor<p::one<'"', '\\', '/', 'b', 'f', 'n', 'r', 't'>, escaped_unicode>> {};
struct string_char
    : p::sor<escape, p::utf8::ranges<0x09, 0x09, 0x20, 0x21, 0x23, 0x5B, 0x5D, 0x10FFFF>> {};
struct string_value : p::seq<p::one<'"'>, p::star<string_char>, p::one<'"'>> {};

struct triple_quote : p::string<'"', '"', '"'> {};
struct block_char : p::sor<p::string<'\\', '"', '"', '"'>,
                           p::seq<p::not_at<triple_quote>,
                                  p::utf8::ranges<0x09, 0x0A, 0x0D, 0x0D, 0x20, 0x10FFFF>>> {};
struct block_string : p::seq<triple_quote, p::star<block_char>, triple_quote> {};

struct token : p::sor<spread, punctuator, block_string, string_value, number, name> {};
struct tokens : p::seq<p::star<ignored>, p::star<token, p::star<ignored>>> {};

// --- actions ---------------------------------------------------------------------------------
struct State {
  std::string_view source;
  Tokens* out = nullptr;
  std::size_t tokens_max = 0;
  std::size_t error_offset = 0;
};

template <class Input>
std::uint32_t offset_of(const Input& in, const State& s) {
  return static_cast<std::uint32_t>(in.begin() - s.source.data());
}

bool push(State& s, TokenKind kind, std::uint32_t start, std::uint32_t end, std::string value) {
  if (s.out->tokens.size() >= s.tokens_max) {
    s.out->too_many = true;
    return false;
  }
  Token t;
  t.kind = kind;
  t.start = start;
  t.end = end;
  t.value = std::move(value);
  s.out->tokens.push_back(std::move(t));
  return true;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool is_surrogate(std::uint32_t cp) {
  return cp >= 0xD800 && cp <= 0xDFFF;
}

std::uint32_t hex_value(std::string_view digits) {
  std::uint32_t v = 0;
  for (char c : digits) {
    v = v * 16 + static_cast<std::uint32_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
  }
  return v;
}

// Decodes the escapes of a string token the grammar accepted (so escapes are well formed). Fails
// only on a unicode escape that is not a scalar value; `bad` gets its offset in `raw`.
bool decode_string(std::string_view raw, std::string& out, std::size_t& bad, std::size_t& bad_len) {
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c != '\\') {
      out += c;
      continue;
    }
    char e = raw[++i];
    switch (e) {
      case 'b':
        out += '\b';
        continue;
      case 'f':
        out += '\f';
        continue;
      case 'n':
        out += '\n';
        continue;
      case 'r':
        out += '\r';
        continue;
      case 't':
        out += '\t';
        continue;
      case 'u':
        break;
      default:
        out += e;
        continue;
    }
    std::size_t start = i - 1;
    if (raw[i + 1] == '{') {
      std::size_t close = raw.find('}', i);
      std::uint32_t cp = hex_value(raw.substr(i + 2, close - i - 2));
      if (cp > 0x10FFFF || is_surrogate(cp)) {
        bad = start;
        bad_len = close + 1 - start;
        return false;
      }
      append_utf8(out, cp);
      i = close;
      continue;
    }
    std::uint32_t cp = hex_value(raw.substr(i + 1, 4));
    i += 4;
    if (cp >= 0xD800 && cp <= 0xDBFF && raw.substr(i + 1, 2) == "\\u" && i + 6 < raw.size() &&
        raw[i + 3] != '{') {
      std::uint32_t low = hex_value(raw.substr(i + 3, 4));
      if (low >= 0xDC00 && low <= 0xDFFF) {
        append_utf8(out, 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00));
        i += 6;
        continue;
      }
    }
    if (is_surrogate(cp)) {
      bad = start;
      bad_len = 6;
      return false;
    }
    append_utf8(out, cp);
  }
  return true;
}

template <class Rule>
struct action : p::nothing<Rule> {};

template <>
struct action<spread> {
  template <class Input>
  static bool apply(const Input& in, State& s) {
    auto at = offset_of(in, s);
    return push(s, TokenKind::kSpread, at, at + 3, {});
  }
};

template <>
struct action<punctuator> {
  template <class Input>
  static bool apply(const Input& in, State& s) {
    TokenKind kind = TokenKind::kBang;
    switch (*in.begin()) {
      case '!':
        kind = TokenKind::kBang;
        break;
      case '$':
        kind = TokenKind::kDollar;
        break;
      case '&':
        kind = TokenKind::kAmp;
        break;
      case '(':
        kind = TokenKind::kParenL;
        break;
      case ')':
        kind = TokenKind::kParenR;
        break;
      case ':':
        kind = TokenKind::kColon;
        break;
      case '=':
        kind = TokenKind::kEquals;
        break;
      case '@':
        kind = TokenKind::kAt;
        break;
      case '[':
        kind = TokenKind::kBracketL;
        break;
      case ']':
        kind = TokenKind::kBracketR;
        break;
      case '{':
        kind = TokenKind::kBraceL;
        break;
      case '|':
        kind = TokenKind::kPipe;
        break;
      default:
        kind = TokenKind::kBraceR;
        break;
    }
    auto at = offset_of(in, s);
    return push(s, kind, at, at + 1, {});
  }
};

template <>
struct action<name> {
  template <class Input>
  static bool apply(const Input& in, State& s) {
    auto at = offset_of(in, s);
    return push(s, TokenKind::kName, at, at + static_cast<std::uint32_t>(in.size()), in.string());
  }
};

template <>
struct action<number> {
  template <class Input>
  static bool apply(const Input& in, State& s) {
    auto at = offset_of(in, s);
    std::string text = in.string();
    bool is_float = text.find_first_of(".eE") != std::string::npos;
    return push(s, is_float ? TokenKind::kFloat : TokenKind::kInt, at,
                at + static_cast<std::uint32_t>(text.size()), std::move(text));
  }
};

template <>
struct action<string_value> {
  template <class Input>
  static bool apply(const Input& in, State& s) {
    auto at = offset_of(in, s);
    std::string_view raw(in.begin() + 1, in.size() - 2);
    std::string value;
    std::size_t bad = 0, bad_len = 0;
    if (!decode_string(raw, value, bad, bad_len)) {
      s.out->error =
          fmt::format("Invalid Unicode escape sequence: \"{}\".", raw.substr(bad, bad_len));
      s.error_offset = at + 1 + bad;
      return false;
    }
    return push(s, TokenKind::kString, at, at + static_cast<std::uint32_t>(in.size()),
                std::move(value));
  }
};

template <>
struct action<block_string> {
  template <class Input>
  static bool apply(const Input& in, State& s) {
    auto at = offset_of(in, s);
    std::string_view raw(in.begin() + 3, in.size() - 6);
    std::string unescaped;
    unescaped.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw.compare(i, 4, "\\\"\"\"") == 0) {
        unescaped += "\"\"\"";
        i += 3;
      } else {
        unescaped += raw[i];
      }
    }
    return push(s, TokenKind::kBlockString, at, at + static_cast<std::uint32_t>(in.size()),
                block_string_value(unescaped));
  }
};

// --- diagnosis of where the grammar stopped --------------------------------------------------

// Decodes one UTF-8 code point at `i`; returns 0xFFFFFFFF for invalid UTF-8 and sets `len`.
std::uint32_t code_point_at(std::string_view s, std::size_t i, std::size_t& len) {
  auto b = static_cast<unsigned char>(s[i]);
  len = 1;
  if (b < 0x80) return b;
  int n = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : b >= 0xC0 ? 1 : -1;
  if (n < 0 || i + static_cast<std::size_t>(n) >= s.size()) return 0xFFFFFFFF;
  std::uint32_t cp = b & (0x3F >> n);
  for (int k = 1; k <= n; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return 0xFFFFFFFF;
    cp = (cp << 6) | (c & 0x3F);
  }
  len = static_cast<std::size_t>(n) + 1;
  return cp;
}

std::string print_code_point_at(std::string_view s, std::size_t i) {
  if (i >= s.size()) return "<EOF>";
  std::size_t len = 0;
  std::uint32_t cp = code_point_at(s, i, len);
  if (cp >= 0x20 && cp <= 0x7E) {
    if (cp == '"') return "'\"'";
    return fmt::format("\"{}\"", static_cast<char>(cp));
  }
  if (cp == 0xFFFFFFFF) cp = static_cast<unsigned char>(s[i]);
  return fmt::format("U+{:04X}", cp);
}

bool is_digit(std::string_view s, std::size_t i) {
  return i < s.size() && s[i] >= '0' && s[i] <= '9';
}

// Returns the message and sets `at` to the offending offset.
std::string diagnose_number(std::string_view s, std::size_t i, std::size_t& at) {
  if (s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0') {
    ++i;
    if (is_digit(s, i)) {
      at = i;
      return "Invalid number, unexpected digit after 0: " + print_code_point_at(s, i) + ".";
    }
  } else {
    if (!is_digit(s, i)) {
      at = i;
      return "Invalid number, expected digit but got: " + print_code_point_at(s, i) + ".";
    }
    while (is_digit(s, i)) ++i;
  }
  auto digits = [&]() -> bool {
    if (!is_digit(s, i)) return false;
    while (is_digit(s, i)) ++i;
    return true;
  };
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) {
      at = i;
      return "Invalid number, expected digit but got: " + print_code_point_at(s, i) + ".";
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) {
      at = i;
      return "Invalid number, expected digit but got: " + print_code_point_at(s, i) + ".";
    }
  }
  at = i;
  return "Invalid number, expected digit but got: " + print_code_point_at(s, i) + ".";
}

std::string diagnose_string(std::string_view s, std::size_t i, std::size_t& at) {
  bool block = s.compare(i, 3, "\"\"\"") == 0;
  i += block ? 3 : 1;
  while (i < s.size()) {
    char c = s[i];
    if (!block && (c == '\n' || c == '\r')) break;
    if (!block && c == '\\') {
      char e = i + 1 < s.size() ? s[i + 1] : '\0';
      if (e == 'u') {
        std::size_t end = i + 2;
        bool ok;
        if (end < s.size() && s[end] == '{') {
          std::size_t close = end + 1;
          while (close < s.size() && close - end <= 9 &&
                 std::isxdigit(static_cast<unsigned char>(s[close])))
            ++close;
          ok = close < s.size() && s[close] == '}' && close > end + 1 && close - end <= 9;
          end = std::min(s.size(), close + 1);
        } else {
          std::size_t k = end;
          while (k < s.size() && k < end + 4 && std::isxdigit(static_cast<unsigned char>(s[k])))
            ++k;
          ok = k == end + 4;
          end = std::min(s.size(), end + 4);
        }
        if (!ok) {
          at = i;
          return fmt::format("Invalid Unicode escape sequence: \"{}\".", s.substr(i, end - i));
        }
        i = end;
        continue;
      }
      if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos || e == '\0') {
        at = i;
        return fmt::format("Invalid character escape sequence: \"{}\".", s.substr(i, 2));
      }
      i += 2;
      continue;
    }
    if (c == '"') {
      if (!block) return "Unterminated string.";  // not reached: the grammar would have matched
      if (s.compare(i, 3, "\"\"\"") == 0) return "Unterminated string.";
    }
    std::size_t len = 1;
    std::uint32_t cp = code_point_at(s, i, len);
    bool allowed = cp == 0x09 || (block && (cp == 0x0A || cp == 0x0D)) ||
                   (cp >= 0x20 && cp <= 0x10FFFF && !is_surrogate(cp));
    if (!allowed) {
      at = i;
      return "Invalid character within String: " + print_code_point_at(s, i) + ".";
    }
    i += block && s.compare(i, 4, "\\\"\"\"") == 0 ? 4 : len;
  }
  at = i;
  return "Unterminated string.";
}

std::string diagnose(std::string_view s, std::size_t i, std::size_t& at) {
  at = i;
  char c = s[i];
  if (c == '"') return diagnose_string(s, i, at);
  if (c == '-' || is_digit(s, i)) return diagnose_number(s, i, at);
  if (c == '\'')
    return "Unexpected single quote character ('), did you mean to use a double quote (\")?";
  std::size_t len = 0;
  std::uint32_t cp = code_point_at(s, i, len);
  if (cp == 0xFFFFFFFF || is_surrogate(cp))
    return "Invalid character: " + print_code_point_at(s, i) + ".";
  return "Unexpected character: " + print_code_point_at(s, i) + ".";
}

}  // namespace

Tokens lex(std::string_view source, std::size_t tokens_max) {
  Tokens out;
  out.tokens.reserve(source.size() / 4 + 2);
  State state;
  state.source = source;
  state.out = &out;
  state.tokens_max = tokens_max;
  p::memory_input<p::tracking_mode::lazy> in(source.data(), source.size(), "");
  p::parse<tokens, action>(in, state);
  std::size_t stop = static_cast<std::size_t>(in.current() - source.data());

  Token last;
  if (out.too_many) {
    last.kind = TokenKind::kError;
    last.start = last.end = static_cast<std::uint32_t>(stop);
    out.error = fmt::format("Document contains more than {} tokens. Parsing aborted.", tokens_max);
  } else if (!out.error.empty()) {
    last.kind = TokenKind::kError;
    last.start = last.end = static_cast<std::uint32_t>(state.error_offset);
  } else if (stop < source.size()) {
    std::size_t at = stop;
    out.error = diagnose(source, stop, at);
    last.kind = TokenKind::kError;
    last.start = last.end = static_cast<std::uint32_t>(at);
  } else {
    last.kind = TokenKind::kEof;
    last.start = last.end = static_cast<std::uint32_t>(source.size());
  }
  out.tokens.push_back(std::move(last));

  // One pass over the text gives every token its line and column (UTF-16 units).
  std::uint32_t line = 1, column = 1;
  std::size_t next = 0;
  for (std::size_t i = 0; i <= source.size() && next < out.tokens.size(); ++i) {
    while (next < out.tokens.size() && out.tokens[next].start == i) {
      out.tokens[next++].loc = SourceLocation{line, column};
    }
    if (i == source.size()) break;
    auto b = static_cast<unsigned char>(source[i]);
    if (b == '\n' || (b == '\r' && (i + 1 >= source.size() || source[i + 1] != '\n'))) {
      ++line;
      column = 1;
    } else if (b == '\r') {
      // CR of a CRLF: the LF ends the line
    } else if ((b & 0xC0) != 0x80) {
      column += b >= 0xF0 ? 2 : 1;
    }
  }
  return out;
}

SourceLocation location_of(std::string_view source, std::size_t offset) {
  std::uint32_t line = 1, column = 1;
  for (std::size_t i = 0; i < offset && i < source.size(); ++i) {
    auto b = static_cast<unsigned char>(source[i]);
    if (b == '\n' || (b == '\r' && (i + 1 >= source.size() || source[i + 1] != '\n'))) {
      ++line;
      column = 1;
    } else if (b != '\r' && (b & 0xC0) != 0x80) {
      column += b >= 0xF0 ? 2 : 1;
    }
  }
  return SourceLocation{line, column};
}

const char* token_kind_desc(TokenKind kind) {
  switch (kind) {
    case TokenKind::kEof:
      return "<EOF>";
    case TokenKind::kBang:
      return "\"!\"";
    case TokenKind::kDollar:
      return "\"$\"";
    case TokenKind::kAmp:
      return "\"&\"";
    case TokenKind::kParenL:
      return "\"(\"";
    case TokenKind::kParenR:
      return "\")\"";
    case TokenKind::kSpread:
      return "\"...\"";
    case TokenKind::kColon:
      return "\":\"";
    case TokenKind::kEquals:
      return "\"=\"";
    case TokenKind::kAt:
      return "\"@\"";
    case TokenKind::kBracketL:
      return "\"[\"";
    case TokenKind::kBracketR:
      return "\"]\"";
    case TokenKind::kBraceL:
      return "\"{\"";
    case TokenKind::kPipe:
      return "\"|\"";
    case TokenKind::kBraceR:
      return "\"}\"";
    case TokenKind::kName:
      return "Name";
    case TokenKind::kInt:
      return "Int";
    case TokenKind::kFloat:
      return "Float";
    case TokenKind::kString:
      return "String";
    case TokenKind::kBlockString:
      return "BlockString";
    case TokenKind::kError:
      return "<ERROR>";
  }
  return "?";
}

std::string token_desc(const Token& token) {
  switch (token.kind) {
    case TokenKind::kName:
    case TokenKind::kInt:
    case TokenKind::kFloat:
    case TokenKind::kString:
    case TokenKind::kBlockString:
      return fmt::format("{} \"{}\"", token_kind_desc(token.kind), token.value);
    default:
      return token_kind_desc(token.kind);
  }
}

}  // namespace rafiki::graphql::detail
