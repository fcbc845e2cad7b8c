// Recursive-descent parser over the token stream, following the spec's grammar and graphql-js's
// parser (so error messages match). A syntax error is thrown internally as SyntaxError and
// returned as a value by parse(); nothing escapes.
#include "graphql/parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "graphql/lexer.h"

namespace rafiki::graphql {
namespace {

using detail::Token;
using detail::TokenKind;

struct SyntaxError {
  std::string message;
  SourceLocation loc;
};

constexpr std::array<std::string_view, 19> kDirectiveLocations = {"QUERY",
                                                                  "MUTATION",
                                                                  "SUBSCRIPTION",
                                                                  "FIELD",
                                                                  "FRAGMENT_DEFINITION",
                                                                  "FRAGMENT_SPREAD",
                                                                  "INLINE_FRAGMENT",
                                                                  "VARIABLE_DEFINITION",
                                                                  "SCHEMA",
                                                                  "SCALAR",
                                                                  "OBJECT",
                                                                  "FIELD_DEFINITION",
                                                                  "ARGUMENT_DEFINITION",
                                                                  "INTERFACE",
                                                                  "UNION",
                                                                  "ENUM",
                                                                  "ENUM_VALUE",
                                                                  "INPUT_OBJECT",
                                                                  "INPUT_FIELD_DEFINITION"};

class Parser {
 public:
  Parser(std::string_view source, detail::Tokens tokens, std::size_t depth_max)
      : source_(source), tokens_(std::move(tokens)), depth_max_(depth_max) {}

  Document document() {
    Document doc;
    if (peek(TokenKind::kEof)) throw unexpected(tok());
    do {
      definition(doc);
    } while (!peek(TokenKind::kEof));
    return doc;
  }

 private:
  // --- token helpers ---
  const Token& tok() {
    const Token& t = tokens_.tokens[pos_];
    if (t.kind == TokenKind::kError) throw SyntaxError{"Syntax Error: " + tokens_.error, t.loc};
    return t;
  }
  const Token& lookahead() {
    std::size_t next = std::min(pos_ + 1, tokens_.tokens.size() - 1);
    const Token& t = tokens_.tokens[next];
    if (t.kind == TokenKind::kError) throw SyntaxError{"Syntax Error: " + tokens_.error, t.loc};
    return t;
  }
  void advance() {
    if (pos_ + 1 < tokens_.tokens.size()) ++pos_;
  }
  bool peek(TokenKind kind) { return tok().kind == kind; }
  bool peek_keyword(std::string_view kw) {
    return tok().kind == TokenKind::kName && tok().value == kw;
  }

  SyntaxError error_at(const Token& t, std::string message) {
    return SyntaxError{"Syntax Error: " + std::move(message), t.loc};
  }
  SyntaxError unexpected(const Token& t) {
    return error_at(t, fmt::format("Unexpected {}.", detail::token_desc(t)));
  }
  const Token& expect(TokenKind kind) {
    const Token& t = tok();
    if (t.kind != kind) {
      throw error_at(t, fmt::format("Expected {}, found {}.", detail::token_kind_desc(kind),
                                    detail::token_desc(t)));
    }
    advance();
    return t;
  }
  bool skip(TokenKind kind) {
    if (!peek(kind)) return false;
    advance();
    return true;
  }
  void expect_keyword(std::string_view kw) {
    const Token& t = tok();
    if (t.kind != TokenKind::kName || t.value != kw) {
      throw error_at(t, fmt::format("Expected \"{}\", found {}.", kw, detail::token_desc(t)));
    }
    advance();
  }
  bool skip_keyword(std::string_view kw) {
    if (!peek_keyword(kw)) return false;
    advance();
    return true;
  }

  struct DepthGuard {
    Parser& p;
    explicit DepthGuard(Parser& parser) : p(parser) {
      if (++p.depth_ > p.depth_max_) {
        throw p.error_at(p.tok(), fmt::format("Document nesting exceeds {} levels.", p.depth_max_));
      }
    }
    ~DepthGuard() { --p.depth_; }
  };

  std::string name(SourceLocation* loc = nullptr) {
    const Token& t = expect(TokenKind::kName);
    if (loc) *loc = t.loc;
    return t.value;
  }

  // --- definitions ---
  void definition(Document& doc) {
    if (peek(TokenKind::kBraceL)) {
      doc.order.emplace_back(Document::DefinitionKind::kOperation, doc.operations.size());
      doc.operations.push_back(operation_definition());
      return;
    }
    bool has_description = peek(TokenKind::kString) || peek(TokenKind::kBlockString);
    const Token& keyword = has_description ? lookahead() : tok();
    if (keyword.kind == TokenKind::kName) {
      const std::string& k = keyword.value;
      if (k == "schema") {
        doc.order.emplace_back(Document::DefinitionKind::kSchema, doc.schemas.size());
        doc.schemas.push_back(schema_definition());
        return;
      }
      if (k == "scalar" || k == "type" || k == "interface" || k == "union" || k == "enum" ||
          k == "input") {
        doc.order.emplace_back(Document::DefinitionKind::kType, doc.types.size());
        doc.types.push_back(type_definition(false));
        return;
      }
      if (k == "directive") {
        doc.order.emplace_back(Document::DefinitionKind::kDirective, doc.directives.size());
        doc.directives.push_back(directive_definition());
        return;
      }
      if (has_description) {
        throw error_at(tok(),
                       "Unexpected description, descriptions are supported only on type "
                       "definitions.");
      }
      if (k == "query" || k == "mutation" || k == "subscription") {
        doc.order.emplace_back(Document::DefinitionKind::kOperation, doc.operations.size());
        doc.operations.push_back(operation_definition());
        return;
      }
      if (k == "fragment") {
        doc.order.emplace_back(Document::DefinitionKind::kFragment, doc.fragments.size());
        doc.fragments.push_back(fragment_definition());
        return;
      }
      if (k == "extend") {
        extension(doc);
        return;
      }
    }
    throw unexpected(keyword);
  }

  OperationType operation_type() {
    const Token& t = expect(TokenKind::kName);
    if (t.value == "query") return OperationType::kQuery;
    if (t.value == "mutation") return OperationType::kMutation;
    if (t.value == "subscription") return OperationType::kSubscription;
    throw unexpected(t);
  }

  OperationDefinition operation_definition() {
    OperationDefinition op;
    op.loc = tok().loc;
    if (peek(TokenKind::kBraceL)) {
      op.selections = selection_set();
      return op;
    }
    op.operation = operation_type();
    if (peek(TokenKind::kName)) op.name = name();
    if (skip(TokenKind::kParenL)) {
      do {
        op.variables.push_back(variable_definition());
      } while (!skip(TokenKind::kParenR));
    }
    op.directives = directives(false);
    op.selections = selection_set();
    return op;
  }

  VariableDefinition variable_definition() {
    VariableDefinition v;
    v.loc = tok().loc;
    expect(TokenKind::kDollar);
    v.name = name();
    expect(TokenKind::kColon);
    v.type = type_reference();
    if (skip(TokenKind::kEquals)) v.default_value = value(true);
    v.directives = directives(true);
    return v;
  }

  std::vector<Selection> selection_set() {
    DepthGuard guard(*this);
    std::vector<Selection> out;
    expect(TokenKind::kBraceL);
    do {
      out.push_back(selection());
    } while (!skip(TokenKind::kBraceR));
    return out;
  }

  Selection selection() {
    Selection s;
    s.loc = tok().loc;
    if (skip(TokenKind::kSpread)) {
      bool has_type_condition = skip_keyword("on");
      if (!has_type_condition && peek(TokenKind::kName)) {
        s.kind = Selection::Kind::kFragmentSpread;
        s.name = fragment_name();
        s.directives = directives(false);
        return s;
      }
      s.kind = Selection::Kind::kInlineFragment;
      if (has_type_condition) s.type_condition = name(&s.type_condition_loc);
      s.directives = directives(false);
      s.selections = selection_set();
      return s;
    }
    s.name = name();
    if (skip(TokenKind::kColon)) {
      s.alias = std::move(s.name);
      s.name = name();
    }
    s.arguments = arguments(false);
    s.directives = directives(false);
    if (peek(TokenKind::kBraceL)) s.selections = selection_set();
    return s;
  }

  std::string fragment_name() {
    if (peek_keyword("on")) throw unexpected(tok());
    return name();
  }

  FragmentDefinition fragment_definition() {
    FragmentDefinition f;
    f.loc = tok().loc;
    expect_keyword("fragment");
    f.name = fragment_name();
    expect_keyword("on");
    f.type_condition = name(&f.type_condition_loc);
    f.directives = directives(false);
    f.selections = selection_set();
    return f;
  }

  std::vector<Argument> arguments(bool is_const) {
    std::vector<Argument> out;
    if (skip(TokenKind::kParenL)) {
      do {
        Argument a;
        a.loc = tok().loc;
        a.name = name();
        expect(TokenKind::kColon);
        a.value = value(is_const);
        out.push_back(std::move(a));
      } while (!skip(TokenKind::kParenR));
    }
    return out;
  }

  std::vector<Directive> directives(bool is_const) {
    std::vector<Directive> out;
    while (peek(TokenKind::kAt)) {
      Directive d;
      d.loc = tok().loc;
      advance();
      d.name = name();
      d.arguments = arguments(is_const);
      out.push_back(std::move(d));
    }
    return out;
  }

  Value value(bool is_const) {
    DepthGuard guard(*this);
    const Token& t = tok();
    Value v;
    v.loc = t.loc;
    switch (t.kind) {
      case TokenKind::kBracketL:
        advance();
        v.kind = ValueKind::kList;
        while (!skip(TokenKind::kBracketR)) v.items.push_back(value(is_const));
        return v;
      case TokenKind::kBraceL:
        advance();
        v.kind = ValueKind::kObject;
        while (!skip(TokenKind::kBraceR)) {
          SourceLocation loc = tok().loc;
          v.field_names.push_back(name());
          v.field_locs.push_back(loc);
          expect(TokenKind::kColon);
          v.items.push_back(value(is_const));
        }
        return v;
      case TokenKind::kInt:
        v.kind = ValueKind::kInt;
        v.text = t.value;
        advance();
        return v;
      case TokenKind::kFloat:
        v.kind = ValueKind::kFloat;
        v.text = t.value;
        advance();
        return v;
      case TokenKind::kString:
      case TokenKind::kBlockString:
        v.kind = ValueKind::kString;
        v.block_string = t.kind == TokenKind::kBlockString;
        v.text = t.value;
        advance();
        return v;
      case TokenKind::kName:
        if (t.value == "true" || t.value == "false") {
          v.kind = ValueKind::kBoolean;
        } else if (t.value == "null") {
          v.kind = ValueKind::kNull;
        } else {
          v.kind = ValueKind::kEnum;
        }
        v.text = t.value;
        advance();
        return v;
      case TokenKind::kDollar:
        if (is_const) {
          const Token& next = lookahead();
          if (next.kind == TokenKind::kName) {
            throw error_at(
                t, fmt::format("Unexpected variable \"${}\" in constant value.", next.value));
          }
          throw unexpected(t);
        }
        advance();
        v.kind = ValueKind::kVariable;
        v.text = name();
        return v;
      default:
        throw unexpected(t);
    }
  }

  TypeRef type_reference() {
    DepthGuard guard(*this);
    TypeRef type;
    type.loc = tok().loc;
    if (skip(TokenKind::kBracketL)) {
      type.kind = TypeRef::Kind::kList;
      type.of.push_back(type_reference());
      expect(TokenKind::kBracketR);
    } else {
      type.name = name();
    }
    if (skip(TokenKind::kBang)) {
      TypeRef non_null;
      non_null.kind = TypeRef::Kind::kNonNull;
      non_null.loc = type.loc;
      non_null.of.push_back(std::move(type));
      return non_null;
    }
    return type;
  }

  // --- type system ---
  std::string description() {
    if (peek(TokenKind::kString) || peek(TokenKind::kBlockString)) {
      std::string d = tok().value;
      advance();
      return d;
    }
    return {};
  }

  SchemaDefinition schema_definition() {
    SchemaDefinition s;
    s.loc = tok().loc;
    s.description = description();
    expect_keyword("schema");
    s.directives = directives(true);
    expect(TokenKind::kBraceL);
    do {
      s.operation_types.push_back(operation_type_definition());
    } while (!skip(TokenKind::kBraceR));
    return s;
  }

  std::pair<OperationType, NamedRef> operation_type_definition() {
    OperationType op = operation_type();
    expect(TokenKind::kColon);
    NamedRef ref;
    ref.name = name(&ref.loc);
    return {op, ref};
  }

  std::vector<NamedRef> delimited_names(TokenKind delimiter) {
    std::vector<NamedRef> out;
    skip(delimiter);
    do {
      NamedRef ref;
      ref.name = name(&ref.loc);
      out.push_back(std::move(ref));
    } while (skip(delimiter));
    return out;
  }

  std::vector<InputValueDefinition> argument_definitions(TokenKind open, TokenKind close) {
    std::vector<InputValueDefinition> out;
    if (skip(open)) {
      do {
        out.push_back(input_value_definition());
      } while (!skip(close));
    }
    return out;
  }

  InputValueDefinition input_value_definition() {
    InputValueDefinition d;
    d.loc = tok().loc;
    d.description = description();
    d.name = name();
    expect(TokenKind::kColon);
    d.type = type_reference();
    if (skip(TokenKind::kEquals)) d.default_value = value(true);
    d.directives = directives(true);
    return d;
  }

  FieldDefinition field_definition() {
    FieldDefinition f;
    f.loc = tok().loc;
    f.description = description();
    f.name = name();
    f.arguments = argument_definitions(TokenKind::kParenL, TokenKind::kParenR);
    expect(TokenKind::kColon);
    f.type = type_reference();
    f.directives = directives(true);
    return f;
  }

  EnumValueDefinition enum_value_definition() {
    EnumValueDefinition e;
    e.loc = tok().loc;
    e.description = description();
    const Token& t = tok();
    if (t.kind == TokenKind::kName &&
        (t.value == "true" || t.value == "false" || t.value == "null")) {
      throw error_at(t, fmt::format("{} is reserved and cannot be used for an enum value.",
                                    detail::token_desc(t)));
    }
    e.name = name();
    e.directives = directives(true);
    return e;
  }

  // The body of a type definition or extension after its keyword and name.
  TypeDefinition type_definition(bool extension) {
    TypeDefinition t;
    t.extension = extension;
    t.loc = tok().loc;
    if (!extension) t.description = description();
    const Token& keyword = expect(TokenKind::kName);
    const std::string kw = keyword.value;
    t.name = name();
    if (kw == "scalar") {
      t.kind = TypeKind::kScalar;
      t.directives = directives(true);
      if (extension && t.directives.empty()) throw unexpected(tok());
    } else if (kw == "type" || kw == "interface") {
      t.kind = kw == "type" ? TypeKind::kObject : TypeKind::kInterface;
      if (skip_keyword("implements")) t.interfaces = delimited_names(TokenKind::kAmp);
      t.directives = directives(true);
      if (skip(TokenKind::kBraceL)) {
        do {
          t.fields.push_back(field_definition());
        } while (!skip(TokenKind::kBraceR));
      }
      if (extension && t.interfaces.empty() && t.directives.empty() && t.fields.empty()) {
        throw unexpected(tok());
      }
    } else if (kw == "union") {
      t.kind = TypeKind::kUnion;
      t.directives = directives(true);
      if (skip(TokenKind::kEquals)) t.members = delimited_names(TokenKind::kPipe);
      if (extension && t.directives.empty() && t.members.empty()) throw unexpected(tok());
    } else if (kw == "enum") {
      t.kind = TypeKind::kEnum;
      t.directives = directives(true);
      if (skip(TokenKind::kBraceL)) {
        do {
          t.values.push_back(enum_value_definition());
        } while (!skip(TokenKind::kBraceR));
      }
      if (extension && t.directives.empty() && t.values.empty()) throw unexpected(tok());
    } else {
      t.kind = TypeKind::kInputObject;
      t.directives = directives(true);
      t.input_fields = argument_definitions(TokenKind::kBraceL, TokenKind::kBraceR);
      if (extension && t.directives.empty() && t.input_fields.empty()) throw unexpected(tok());
    }
    return t;
  }

  DirectiveDefinition directive_definition() {
    DirectiveDefinition d;
    d.loc = tok().loc;
    d.description = description();
    expect_keyword("directive");
    expect(TokenKind::kAt);
    d.name = name();
    d.arguments = argument_definitions(TokenKind::kParenL, TokenKind::kParenR);
    d.repeatable = skip_keyword("repeatable");
    expect_keyword("on");
    skip(TokenKind::kPipe);
    do {
      const Token& t = tok();
      NamedRef ref;
      ref.name = name(&ref.loc);
      if (std::find(kDirectiveLocations.begin(), kDirectiveLocations.end(), ref.name) ==
          kDirectiveLocations.end()) {
        throw unexpected(t);
      }
      d.locations.push_back(std::move(ref));
    } while (skip(TokenKind::kPipe));
    return d;
  }

  void extension(Document& doc) {
    const Token& keyword = lookahead();
    if (keyword.kind == TokenKind::kName) {
      const std::string& k = keyword.value;
      if (k == "schema") {
        SchemaDefinition s;
        s.extension = true;
        s.loc = tok().loc;
        advance();
        advance();
        s.directives = directives(true);
        if (skip(TokenKind::kBraceL)) {
          do {
            s.operation_types.push_back(operation_type_definition());
          } while (!skip(TokenKind::kBraceR));
        }
        if (s.directives.empty() && s.operation_types.empty()) throw unexpected(tok());
        doc.order.emplace_back(Document::DefinitionKind::kSchema, doc.schemas.size());
        doc.schemas.push_back(std::move(s));
        return;
      }
      if (k == "scalar" || k == "type" || k == "interface" || k == "union" || k == "enum" ||
          k == "input") {
        SourceLocation loc = tok().loc;
        advance();
        TypeDefinition t = type_definition(true);
        t.loc = loc;
        doc.order.emplace_back(Document::DefinitionKind::kType, doc.types.size());
        doc.types.push_back(std::move(t));
        return;
      }
    }
    throw unexpected(keyword);
  }

  std::string_view source_;
  detail::Tokens tokens_;
  std::size_t pos_ = 0;
  std::size_t depth_ = 0;
  std::size_t depth_max_;
};

bool is_blank(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

}  // namespace

std::expected<Document, GraphqlError> parse(std::string_view source, const ParseLimits& limits) {
  if (source.size() > limits.bytes_max) {
    GraphqlError e;
    e.message = fmt::format("Syntax Error: Document is larger than {} bytes.", limits.bytes_max);
    e.locations.push_back(SourceLocation{1, 1});
    e.code = kCodeParseFailed;
    return std::unexpected(std::move(e));
  }
  Parser parser(source, detail::lex(source, limits.tokens_max), limits.depth_max);
  try {
    return parser.document();
  } catch (SyntaxError& error) {
    GraphqlError e;
    e.message = std::move(error.message);
    e.locations.push_back(error.loc);
    e.code = kCodeParseFailed;
    return std::unexpected(std::move(e));
  }
}

std::string block_string_value(std::string_view raw) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\n' || raw[i] == '\r') {
      lines.push_back(raw.substr(start, i - start));
      if (raw[i] == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n') ++i;
      start = i + 1;
    }
  }
  lines.push_back(raw.substr(start));

  std::size_t common = std::string_view::npos;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    std::size_t indent = lines[i].find_first_not_of(" \t");
    if (indent == std::string_view::npos) continue;
    common = std::min(common, indent);
  }
  if (common != std::string_view::npos && common > 0) {
    for (std::size_t i = 1; i < lines.size(); ++i) {
      lines[i] = lines[i].size() >= common ? lines[i].substr(common) : std::string_view{};
    }
  }
  std::size_t first = 0, last = lines.size();
  while (first < last && is_blank(lines[first])) ++first;
  while (last > first && is_blank(lines[last - 1])) --last;
  std::string out;
  for (std::size_t i = first; i < last; ++i) {
    if (i > first) out += '\n';
    out += lines[i];
  }
  return out;
}

}  // namespace rafiki::graphql
