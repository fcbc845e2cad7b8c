#include "backend/admin/canonical_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

namespace rafiki::backend::admin {

namespace {

// Orders member names by UTF-16 code units, as JavaScript's sort does. UTF-8 byte order is code
// point order, which differs only where a supplementary character (a surrogate pair, 0xD800..)
// meets a character in U+E000..U+FFFF.
std::u16string utf16_key(std::string_view utf8) {
  std::u16string out;
  for (std::size_t i = 0; i < utf8.size();) {
    auto b = static_cast<unsigned char>(utf8[i]);
    std::uint32_t cp = 0;
    std::size_t len = 1;
    if (b < 0x80) {
      cp = b;
    } else if (b < 0xE0) {
      cp = b & 0x1F;
      len = 2;
    } else if (b < 0xF0) {
      cp = b & 0x0F;
      len = 3;
    } else {
      cp = b & 0x07;
      len = 4;
    }
    for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (utf8[i + k] & 0x3F);
    i += len;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
  }
  return out;
}

void append_code_point(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// JSON.stringify of a string held as UTF-8 where lone surrogates are 3-byte sequences.
void write_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    auto u = static_cast<unsigned char>(c);
    if (u == 0xED && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0xA0) {
      std::uint32_t cp = 0xD000 | ((static_cast<unsigned char>(s[i + 1]) & 0x3F) << 6) |
                         (static_cast<unsigned char>(s[i + 2]) & 0x3F);
      out += "\\u";
      for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kHex[(cp >> shift) & 0xF]);
      i += 2;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20) {
          out += "\\u00";
          out.push_back(kHex[u >> 4]);
          out.push_back(kHex[u & 0xF]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  std::optional<std::string> document() {
    std::string out;
    skip_space();
    if (!value(out, 0)) return std::nullopt;
    skip_space();
    if (pos_ != text_.size()) return std::nullopt;
    return out;
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }

  void skip_space() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) {
      ++pos_;
    }
  }

  bool literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  bool value(std::string& out, std::size_t depth) {
    if (at_end()) return false;
    switch (peek()) {
      case '{': return object(out, depth + 1);
      case '[': return array(out, depth + 1);
      case '"': {
        std::string s;
        if (!string(s)) return false;
        write_string(out, s);
        return true;
      }
      case 't': out += "true"; return literal("true");
      case 'f': out += "false"; return literal("false");
      case 'n': out += "null"; return literal("null");
      default: return number(out);
    }
  }

  bool object(std::string& out, std::size_t depth) {
    if (depth > kCanonicalJsonDepthMax) return false;
    ++pos_;  // '{'
    std::map<std::u16string, std::pair<std::string, std::string>> members;  // key → (name, value)
    skip_space();
    if (!at_end() && peek() == '}') {
      ++pos_;
      out += "{}";
      return true;
    }
    for (;;) {
      skip_space();
      if (at_end() || peek() != '"') return false;
      std::string name;
      if (!string(name)) return false;
      skip_space();
      if (at_end() || peek() != ':') return false;
      ++pos_;
      skip_space();
      std::string member;
      if (!value(member, depth)) return false;
      std::u16string key = utf16_key(name);
      members[std::move(key)] = {std::move(name), std::move(member)};  // the last one wins
      skip_space();
      if (at_end()) return false;
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != '}') return false;
      ++pos_;
      break;
    }
    out.push_back('{');
    bool first = true;
    for (const auto& [key, member] : members) {
      if (!first) out.push_back(',');
      first = false;
      write_string(out, member.first);
      out.push_back(':');
      out += member.second;
    }
    out.push_back('}');
    return true;
  }

  bool array(std::string& out, std::size_t depth) {
    if (depth > kCanonicalJsonDepthMax) return false;
    ++pos_;  // '['
    out.push_back('[');
    skip_space();
    if (!at_end() && peek() == ']') {
      ++pos_;
      out.push_back(']');
      return true;
    }
    for (bool first = true;; first = false) {
      if (!first) out.push_back(',');
      skip_space();
      if (!value(out, depth)) return false;
      skip_space();
      if (at_end()) return false;
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != ']') return false;
      ++pos_;
      break;
    }
    out.push_back(']');
    return true;
  }

  std::optional<std::uint32_t> hex4() {
    if (text_.size() - pos_ < 4) return std::nullopt;
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<std::uint32_t>(c - 'A' + 10);
      else return std::nullopt;
    }
    return v;
  }

  // A string literal, decoded into UTF-8.
  bool string(std::string& out) {
    ++pos_;  // '"'
    for (;;) {
      if (at_end()) return false;
      auto c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        ++pos_;
        if (at_end()) return false;
        char e = text_[pos_++];
        switch (e) {
          case '"': out.push_back('"'); break;
          case '\\': out.push_back('\\'); break;
          case '/': out.push_back('/'); break;
          case 'b': out.push_back('\b'); break;
          case 'f': out.push_back('\f'); break;
          case 'n': out.push_back('\n'); break;
          case 'r': out.push_back('\r'); break;
          case 't': out.push_back('\t'); break;
          case 'u': {
            auto cp = hex4();
            if (!cp) return false;
            if (*cp >= 0xD800 && *cp <= 0xDBFF && text_.substr(pos_, 2) == "\\u") {
              std::size_t after_high = pos_;
              pos_ += 2;
              auto low = hex4();
              if (low && *low >= 0xDC00 && *low <= 0xDFFF) {
                *cp = 0x10000 + ((*cp - 0xD800) << 10) + (*low - 0xDC00);
              } else {
                pos_ = after_high;  // a lone high surrogate; the next escape stands alone
              }
            }
            // A lone surrogate (JavaScript strings may hold one) is kept as its 3-byte
            // encoding (ED A0..BF xx), which raw input can never contain; write_string escapes
            // it back as JSON.stringify does.
            append_code_point(out, *cp);
            break;
          }
          default: return false;
        }
        continue;
      }
      if (c < 0x80) {
        out.push_back(static_cast<char>(c));
        ++pos_;
        continue;
      }
      // A UTF-8 sequence: well-formed, shortest form, no surrogates (RFC 3629 table).
      std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
      if (c < 0xC2 || c > 0xF4 || text_.size() - pos_ < len) return false;
      auto b1 = static_cast<unsigned char>(text_[pos_ + 1]);
      unsigned char lo = 0x80, hi = 0xBF;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
      if (b1 < lo || b1 > hi) return false;
      for (std::size_t k = 2; k < len; ++k) {
        auto b = static_cast<unsigned char>(text_[pos_ + k]);
        if (b < 0x80 || b > 0xBF) return false;
      }
      out.append(text_.substr(pos_, len));
      pos_ += len;
    }
  }

  static bool is_digit(char c) { return c >= '0' && c <= '9'; }

  bool number(std::string& out) {
    std::size_t start = pos_;
    if (!at_end() && peek() == '-') ++pos_;
    if (at_end() || !is_digit(peek())) return false;
    if (peek() == '0') {
      ++pos_;
    } else {
      while (!at_end() && is_digit(peek())) ++pos_;
    }
    if (!at_end() && peek() == '.') {
      ++pos_;
      if (at_end() || !is_digit(peek())) return false;
      while (!at_end() && is_digit(peek())) ++pos_;
    }
    if (!at_end() && (peek() == 'e' || peek() == 'E')) {
      ++pos_;
      if (!at_end() && (peek() == '+' || peek() == '-')) ++pos_;
      if (at_end() || !is_digit(peek())) return false;
      while (!at_end() && is_digit(peek())) ++pos_;
    }
    std::string_view literal_text = text_.substr(start, pos_ - start);
    double value = 0;
    auto [end, ec] =
        std::from_chars(literal_text.data(), literal_text.data() + literal_text.size(), value);
    if (ec == std::errc::result_out_of_range) {
      // Underflow rounds to (signed) zero as in JavaScript; overflow would be Infinity.
      bool huge = false;
      auto e = literal_text.find_first_of("eE");
      if (e == std::string_view::npos || literal_text[e + 1] != '-') {
        // No negative exponent: the magnitude is large unless every digit is 0.
        huge = literal_text.find_first_of("123456789") < e;
      }
      if (huge) {
        out += "null";  // JSON.parse gives ±Infinity, which json-canonicalize writes as null
        return true;
      }
      value = 0;
    } else if (ec != std::errc() || end != literal_text.data() + literal_text.size()) {
      return false;
    }
    out += format_js_number(value);
    return true;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string format_js_number(double value) {
  if (value == 0) return "0";  // and -0
  std::string out;
  if (value < 0) {
    out.push_back('-');
    value = -value;
  }
  // Shortest round-trip digits in the form d[.ddd]e±x.
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value,
                                 std::chars_format::scientific);
  std::string_view sci(buffer, static_cast<std::size_t>(end - buffer));
  auto e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  int exponent = 0;
  std::string_view exp_text = sci.substr(e + 1);
  if (exp_text.front() == '+') exp_text.remove_prefix(1);
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exponent);
  const int k = static_cast<int>(digits.size());
  const int n = exponent + 1;  // ECMA-262 Number::toString: value = 0.digits × 10^n
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<std::size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<std::size_t>(n));
    out.push_back('.');
    out += digits.substr(static_cast<std::size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-n), '0');
    out += digits;
  } else {
    out.push_back(digits[0]);
    if (k > 1) {
      out.push_back('.');
      out += digits.substr(1);
    }
    out.push_back('e');
    out.push_back(n - 1 < 0 ? '-' : '+');
    out += std::to_string(std::abs(n - 1));
  }
  return out;
}

bool has_inexact_integer(std::string_view text) {
  // 2^53 = 9007199254740992 has 16 digits: any integer literal of 16+ significant digits is
  // checked exactly; shorter ones are always exact.
  constexpr std::string_view kTwoTo53 = "9007199254740992";
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      continue;
    }
    if (c < '0' || c > '9') continue;
    std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    const bool integer = i >= text.size() || (text[i] != '.' && text[i] != 'e' && text[i] != 'E');
    std::string_view digits = text.substr(start, i - start);
    // Skip the fraction and exponent of a non-integer so their digits are not read as numbers.
    while (i < text.size() && (text[i] == '.' || text[i] == 'e' || text[i] == 'E' ||
                               text[i] == '+' || text[i] == '-' ||
                               (text[i] >= '0' && text[i] <= '9'))) {
      ++i;
    }
    --i;
    if (!integer) continue;
    while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
    if (digits.size() > kTwoTo53.size() ||
        (digits.size() == kTwoTo53.size() && digits > kTwoTo53)) {
      return true;
    }
  }
  return false;
}

Result<std::string> canonicalize_json(std::string_view text) {
  Parser parser(text);
  auto out = parser.document();
  if (!out) return fail(std::string(kCanonicalJsonErrorInvalid), "not a valid JSON text");
  return std::move(*out);
}

}  // namespace rafiki::backend::admin
