#include "values/wave.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

#include "core/utf8.h"

namespace orivon::values {
namespace {

using wasmtime::component::Flag;
using wasmtime::component::Flags;
using wasmtime::component::List;
using wasmtime::component::MapEntry;
using wasmtime::component::Record;
using wasmtime::component::RecordField;
using wasmtime::component::Tuple;
using wasmtime::component::Val;
using wasmtime::component::ValType;
using wasmtime::component::Variant;
using wasmtime::component::WitOption;
using wasmtime::component::WitResult;

// The limit wasm-wave uses. Wasmtime rejects component types nested deeper than 100, so for
// its types the type runs out first; the check keeps recursion bounded whatever the type.
constexpr int kMaxDepth = 100;
// Values come from Wasmtime, whose types are depth-limited, but a hand-built Val is not.
constexpr int kMaxFormatDepth = 1000;
// Longest piece of input quoted back in an error message.
constexpr size_t kMaxQuotedBytes = 40;
// Cases or fields listed in an error message before "...".
constexpr size_t kMaxListedNames = 12;

bool is_keyword(std::string_view word) {
  return word == "true" || word == "false" || word == "some" || word == "none" ||
         word == "ok" || word == "err" || word == "inf" || word == "nan";
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_alpha(char c) { return is_lower(c) || is_upper(c); }
bool is_hex_digit(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
uint32_t hex_value(char c) {
  if (is_digit(c)) return static_cast<uint32_t>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<uint32_t>(c - 'a' + 10);
  return static_cast<uint32_t>(c - 'A' + 10);
}

void append_hex(uint32_t value, std::string* out) {
  char buffer[16];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value, 16);
  (void)ec;
  out->append(buffer, end);
}

// Input text quoted in an error message: shortened, with control characters escaped so the
// message stays on one line.
std::string quote(std::string_view text) {
  std::string out = "'";
  size_t pos = 0;
  while (pos < text.size()) {
    if (pos >= kMaxQuotedBytes) {
      out += "...";
      break;
    }
    char32_t cp = 0;
    size_t length = decode_utf8(text, pos, &cp);
    if (length == 0) {
      out += "\\x";
      append_hex(static_cast<unsigned char>(text[pos]), &out);
      pos += 1;
      continue;
    }
    if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) {
      out += "\\u{";
      append_hex(cp, &out);
      out += "}";
    } else {
      out.append(text.substr(pos, length));
    }
    pos += length;
  }
  out += "'";
  return out;
}

Error invalid_argument(std::string message) {
  return Error(ErrorCode::InvalidArgument, std::move(message));
}

std::string at_offset(size_t offset) { return " at offset " + std::to_string(offset); }

// ----------------------------------------------------------------------------------------
// Lexing

enum class TokenKind {
  kEnd,
  kBraceOpen,
  kBraceClose,
  kParenOpen,
  kParenClose,
  kBracketOpen,
  kBracketClose,
  kColon,
  kComma,
  kNumber,
  kLabel,  // Includes keywords; `text` keeps any `%` prefix.
  kChar,
  kString,
  kMultilineString,
  // Something no WAVE token can start with or a malformed number or label; it is reported by
  // whichever rule meets it, which can say what it expected instead.
  kInvalid,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  size_t offset = 0;
  std::string_view text;
};

std::string describe(const Token& token) {
  if (token.kind == TokenKind::kEnd) return "end of input";
  return quote(token.text);
}

Error expected(std::string_view what, const Token& token) {
  return invalid_argument("expected " + std::string(what) + ", found " + describe(token) +
                          at_offset(token.offset));
}

bool is_bare(const Token& token, std::string_view keyword) {
  return token.kind == TokenKind::kLabel && token.text == keyword;
}

std::string_view label_name(const Token& token) {
  std::string_view name = token.text;
  if (!name.empty() && name.front() == '%') name.remove_prefix(1);
  return name;
}

// -?(0|[1-9][0-9]*)
bool is_integer_syntax(std::string_view text) {
  size_t pos = 0;
  if (pos < text.size() && text[pos] == '-') ++pos;
  if (pos >= text.size()) return false;
  if (text[pos] == '0') return pos + 1 == text.size();
  for (; pos < text.size(); ++pos) {
    if (!is_digit(text[pos])) return false;
  }
  return true;
}

// -inf | -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?
bool is_number_syntax(std::string_view text) {
  if (text == "-inf") return true;
  size_t pos = 0;
  auto digits = [&] {
    size_t start = pos;
    while (pos < text.size() && is_digit(text[pos])) ++pos;
    return pos > start;
  };
  if (pos < text.size() && text[pos] == '-') ++pos;
  if (pos >= text.size()) return false;
  if (text[pos] == '0') {
    ++pos;
  } else if (!digits()) {
    return false;
  }
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    if (!digits()) return false;
  }
  if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
    ++pos;
    if (pos < text.size() && (text[pos] == '-' || text[pos] == '+')) ++pos;
    if (!digits()) return false;
  }
  return pos == text.size();
}

// %?word(-word)*, where the first word starts with a letter and each word is all lower case
// or all upper case (digits allowed), as in WIT identifiers.
bool is_label_syntax(std::string_view text) {
  if (!text.empty() && text.front() == '%') text.remove_prefix(1);
  if (text.empty() || !is_alpha(text.front())) return false;
  size_t start = 0;
  while (true) {
    size_t end = text.find('-', start);
    std::string_view word = text.substr(start, end == std::string_view::npos ? end : end - start);
    if (word.empty()) return false;
    bool lower = false;
    bool upper = false;
    for (char c : word) {
      if (is_lower(c)) {
        lower = true;
      } else if (is_upper(c)) {
        upper = true;
      } else if (!is_digit(c)) {
        return false;
      }
    }
    if (lower && upper) return false;
    if (end == std::string_view::npos) return true;
    start = end + 1;
  }
}

bool is_word_char(char c) { return is_alpha(c) || is_digit(c) || c == '-' || c == '_'; }

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  Result<Token> next() {
    if (peeked_) {
      Token token = *peeked_;
      peeked_.reset();
      return token;
    }
    return lex();
  }

  Result<Token> peek() {
    if (!peeked_) {
      ORIVON_TRY(Token token, lex());
      peeked_ = token;
    }
    return *peeked_;
  }

  /// Drops the token returned by the last peek().
  void skip() { peeked_.reset(); }

 private:
  void skip_trivia() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++pos_;
      } else if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '/') {
        size_t end = text_.find('\n', pos_);
        pos_ = end == std::string_view::npos ? text_.size() : end;
      } else {
        break;
      }
    }
  }

  Token make(TokenKind kind, size_t start, size_t end) {
    pos_ = end;
    return Token{kind, start, text_.substr(start, end - start)};
  }

  Result<Token> lex() {
    skip_trivia();
    const size_t start = pos_;
    if (start >= text_.size()) return Token{TokenKind::kEnd, text_.size(), {}};
    const char c = text_[start];
    switch (c) {
      case '{':
        return make(TokenKind::kBraceOpen, start, start + 1);
      case '}':
        return make(TokenKind::kBraceClose, start, start + 1);
      case '(':
        return make(TokenKind::kParenOpen, start, start + 1);
      case ')':
        return make(TokenKind::kParenClose, start, start + 1);
      case '[':
        return make(TokenKind::kBracketOpen, start, start + 1);
      case ']':
        return make(TokenKind::kBracketClose, start, start + 1);
      case ':':
        return make(TokenKind::kColon, start, start + 1);
      case ',':
        return make(TokenKind::kComma, start, start + 1);
      case '\'':
        return lex_quoted(start, '\'', TokenKind::kChar, "char literal");
      case '"':
        if (text_.substr(start, 3) == "\"\"\"") return lex_multiline(start);
        return lex_quoted(start, '"', TokenKind::kString, "string");
      default:
        break;
    }
    if (c == '-' || is_digit(c) || c == '.' || c == '+') {
      size_t end = start + 1;
      while (end < text_.size() &&
             (is_word_char(text_[end]) || text_[end] == '.' || text_[end] == '+')) {
        ++end;
      }
      Token token = make(TokenKind::kNumber, start, end);
      if (!is_number_syntax(token.text)) token.kind = TokenKind::kInvalid;
      return token;
    }
    if (c == '%' || is_alpha(c) || c == '_') {
      size_t end = start + 1;
      while (end < text_.size() && is_word_char(text_[end])) ++end;
      Token token = make(TokenKind::kLabel, start, end);
      if (!is_label_syntax(token.text)) token.kind = TokenKind::kInvalid;
      return token;
    }
    char32_t cp = 0;
    size_t length = decode_utf8(text_, start, &cp);
    return make(TokenKind::kInvalid, start, start + (length == 0 ? 1 : length));
  }

  Result<Token> lex_quoted(size_t start, char quote_char, TokenKind kind,
                           std::string_view what) {
    size_t pos = start + 1;
    while (true) {
      if (pos >= text_.size() || text_[pos] == '\n') {
        std::string message = "unterminated " + std::string(what) + " starting" + at_offset(start);
        if (pos < text_.size()) {
          message += " (a line break must be written as \\n";
          if (kind == TokenKind::kString) message += " or the string as a \"\"\" multiline string";
          message += ")";
        }
        return invalid_argument(std::move(message));
      }
      if (text_[pos] == '\\') {
        pos += 2;
        continue;
      }
      if (text_[pos] == quote_char) return make(kind, start, pos + 1);
      ++pos;
    }
  }

  Result<Token> lex_multiline(size_t start) {
    size_t end = text_.find("\"\"\"", start + 3);
    if (end == std::string_view::npos) {
      return invalid_argument("unterminated multiline string starting" + at_offset(start));
    }
    return make(TokenKind::kMultilineString, start, end + 3);
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::optional<Token> peeked_;
};

// ----------------------------------------------------------------------------------------
// Literals

// Decodes the escape sequence at text[pos] (a backslash); `base` is text's offset in the
// input. Stores the scalar value and returns the sequence's length.
Result<size_t> decode_escape(std::string_view text, size_t pos, size_t base, char32_t* cp) {
  auto bad = [&](size_t length) {
    return invalid_argument("invalid escape " + quote(text.substr(pos, length)) +
                            at_offset(base + pos) +
                            " (valid escapes: \\\\ \\' \\\" \\t \\n \\r \\u{HEX})");
  };
  if (pos + 1 >= text.size()) return bad(1);
  switch (text[pos + 1]) {
    case '\\':
      *cp = '\\';
      return size_t{2};
    case '\'':
      *cp = '\'';
      return size_t{2};
    case '"':
      *cp = '"';
      return size_t{2};
    case 't':
      *cp = '\t';
      return size_t{2};
    case 'n':
      *cp = '\n';
      return size_t{2};
    case 'r':
      *cp = '\r';
      return size_t{2};
    case 'u':
      break;
    default: {
      char32_t ignored = 0;
      size_t length = decode_utf8(text, pos + 1, &ignored);
      return bad(1 + (length == 0 ? 1 : length));
    }
  }
  size_t i = pos + 2;
  if (i >= text.size() || text[i] != '{') return bad(2);
  ++i;
  uint32_t value = 0;
  size_t digits = 0;
  while (i < text.size() && is_hex_digit(text[i])) {
    if (digits == 6) return bad(i - pos + 1);
    value = (value << 4) | hex_value(text[i]);
    ++digits;
    ++i;
  }
  if (digits == 0 || i >= text.size() || text[i] != '}') {
    return bad(std::min(i + 1, text.size()) - pos);
  }
  const size_t length = i + 1 - pos;
  if (!is_scalar_value(value)) {
    return invalid_argument("escape " + quote(text.substr(pos, length)) + at_offset(base + pos) +
                            " is not a Unicode scalar value");
  }
  *cp = value;
  return length;
}

// Decodes string contents (escapes and UTF-8) and appends them to *out; `base` is the offset
// of `text` in the input.
Result<void> decode_string_body(std::string_view text, size_t base, std::string* out) {
  size_t pos = 0;
  while (pos < text.size()) {
    char32_t cp = 0;
    if (text[pos] == '\\') {
      ORIVON_TRY(size_t length, decode_escape(text, pos, base, &cp));
      append_utf8(cp, out);
      pos += length;
      continue;
    }
    size_t length = decode_utf8(text, pos, &cp);
    if (length == 0) return invalid_argument("invalid UTF-8 in string" + at_offset(base + pos));
    out->append(text.substr(pos, length));
    pos += length;
  }
  return ok();
}

Result<uint32_t> decode_char(const Token& token) {
  std::string_view body = token.text.substr(1, token.text.size() - 2);
  const size_t base = token.offset + 1;
  if (body.empty()) return invalid_argument("empty char literal" + at_offset(token.offset));
  char32_t cp = 0;
  size_t length = 0;
  if (body.front() == '\\') {
    ORIVON_TRY(length, decode_escape(body, 0, base, &cp));
  } else {
    length = decode_utf8(body, 0, &cp);
    if (length == 0) return invalid_argument("invalid UTF-8 in char literal" + at_offset(base));
  }
  if (length != body.size()) {
    return invalid_argument("a char literal holds exactly one character, found " + quote(body) +
                            at_offset(token.offset));
  }
  return cp;
}

Result<std::string> decode_string(const Token& token) {
  std::string out;
  ORIVON_RETURN_IF_ERROR(
      decode_string_body(token.text.substr(1, token.text.size() - 2), token.offset + 1, &out));
  return out;
}

// A `"""` string: the line break after the opening quotes and the last line (spaces only,
// then the closing quotes) are dropped, and the closing line's indentation is removed from
// every other line.
Result<std::string> decode_multiline_string(const Token& token) {
  std::string_view body = token.text.substr(3, token.text.size() - 6);
  size_t base = token.offset + 3;
  if (body.substr(0, 2) == "\r\n") {
    body.remove_prefix(2);
    base += 2;
  } else if (body.substr(0, 1) == "\n") {
    body.remove_prefix(1);
    base += 1;
  } else {
    return invalid_argument("the opening \"\"\" of a multiline string must be followed by a "
                            "line break" +
                            at_offset(token.offset));
  }
  const size_t last_break = body.rfind('\n');
  const size_t indent_start = last_break == std::string_view::npos ? 0 : last_break + 1;
  const std::string_view indent = body.substr(indent_start);
  if (indent.find_first_not_of(' ') != std::string_view::npos) {
    return invalid_argument("the closing \"\"\" of a multiline string must be on a line of its "
                            "own, preceded only by spaces" +
                            at_offset(token.offset + token.text.size() - 3));
  }
  std::string out;
  if (last_break == std::string_view::npos) return out;
  size_t pos = 0;
  bool first = true;
  while (pos <= last_break) {
    size_t end = body.find('\n', pos);
    std::string_view line = body.substr(pos, end - pos);
    if (line.substr(0, indent.size()) != indent) {
      return invalid_argument("a line of a multiline string is indented less than its closing "
                              "\"\"\"" +
                              at_offset(base + pos));
    }
    line.remove_prefix(indent.size());
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!first) out.push_back('\n');
    first = false;
    ORIVON_RETURN_IF_ERROR(decode_string_body(line, base + pos + indent.size(), &out));
    pos = end + 1;
  }
  return out;
}

// For a float literal that from_chars found out of range: true if it is too large (so it
// rounds to infinity), false if too small (so it rounds to zero). Compares the position of
// the first significant digit, shifted by the exponent, with the decimal point.
bool is_overflow(std::string_view text) {
  if (!text.empty() && text.front() == '-') text.remove_prefix(1);
  size_t exponent_at = text.find_first_of("eE");
  std::string_view mantissa = text.substr(0, exponent_at);
  int64_t exponent = 0;
  if (exponent_at != std::string_view::npos) {
    std::string_view digits = text.substr(exponent_at + 1);
    bool negative = false;
    if (!digits.empty() && (digits.front() == '-' || digits.front() == '+')) {
      negative = digits.front() == '-';
      digits.remove_prefix(1);
    }
    for (char c : digits) {
      exponent = std::min<int64_t>(exponent * 10 + (c - '0'), 1'000'000'000);
    }
    if (negative) exponent = -exponent;
  }
  size_t point = mantissa.find('.');
  if (point == std::string_view::npos) point = mantissa.size();
  size_t first = mantissa.find_first_not_of("0.");
  if (first == std::string_view::npos) return false;
  int64_t magnitude = first < point ? static_cast<int64_t>(point - first - 1)
                                    : -static_cast<int64_t>(first - point);
  return magnitude + exponent >= 0;
}

bool is_flattenable(const ValType& type) { return !type.is_option() && !type.is_result(); }

// ----------------------------------------------------------------------------------------
// Type descriptions for messages

std::string name_list(std::vector<std::string> names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i == kMaxListedNames) {
      out += ", ...";
      break;
    }
    if (i != 0) out += ", ";
    out += names[i];
  }
  return out;
}

std::string enum_cases(const ValType& type) {
  std::vector<std::string> names;
  const auto& enum_type = type.enum_();
  for (size_t i = 0; i < enum_type.names_count(); ++i) {
    if (auto name = enum_type.names_nth(i)) names.emplace_back(*name);
  }
  return name_list(std::move(names));
}

std::string variant_cases(const ValType& type) {
  std::vector<std::string> names;
  const auto& variant = type.variant();
  for (size_t i = 0; i < variant.case_count(); ++i) {
    if (auto variant_case = variant.case_nth(i)) {
      names.push_back(std::string(variant_case->first) + (variant_case->second ? "(...)" : ""));
    }
  }
  return name_list(std::move(names));
}

}  // namespace

std::string describe_type(const wasmtime::component::ValType& type) {
  switch (type.kind()) {
    case WASMTIME_COMPONENT_VALTYPE_BOOL:
      return "a bool";
    case WASMTIME_COMPONENT_VALTYPE_S8:
      return "an s8";
    case WASMTIME_COMPONENT_VALTYPE_S16:
      return "an s16";
    case WASMTIME_COMPONENT_VALTYPE_S32:
      return "an s32";
    case WASMTIME_COMPONENT_VALTYPE_S64:
      return "an s64";
    case WASMTIME_COMPONENT_VALTYPE_U8:
      return "a u8";
    case WASMTIME_COMPONENT_VALTYPE_U16:
      return "a u16";
    case WASMTIME_COMPONENT_VALTYPE_U32:
      return "a u32";
    case WASMTIME_COMPONENT_VALTYPE_U64:
      return "a u64";
    case WASMTIME_COMPONENT_VALTYPE_F32:
      return "an f32";
    case WASMTIME_COMPONENT_VALTYPE_F64:
      return "an f64";
    case WASMTIME_COMPONENT_VALTYPE_CHAR:
      return "a char";
    case WASMTIME_COMPONENT_VALTYPE_STRING:
      return "a string";
    case WASMTIME_COMPONENT_VALTYPE_LIST:
      return "a list";
    case WASMTIME_COMPONENT_VALTYPE_RECORD:
      return "a record";
    case WASMTIME_COMPONENT_VALTYPE_TUPLE:
      return "a tuple";
    case WASMTIME_COMPONENT_VALTYPE_VARIANT:
      return "a variant case (" + variant_cases(type) + ")";
    case WASMTIME_COMPONENT_VALTYPE_ENUM:
      return "an enum case (" + enum_cases(type) + ")";
    case WASMTIME_COMPONENT_VALTYPE_OPTION:
      return "an option";
    case WASMTIME_COMPONENT_VALTYPE_RESULT:
      return "a result";
    case WASMTIME_COMPONENT_VALTYPE_FLAGS:
      return "flags";
    case WASMTIME_COMPONENT_VALTYPE_OWN:
      return "an owned resource";
    case WASMTIME_COMPONENT_VALTYPE_BORROW:
      return "a borrowed resource";
    case WASMTIME_COMPONENT_VALTYPE_FUTURE:
      return "a future";
    case WASMTIME_COMPONENT_VALTYPE_STREAM:
      return "a stream";
    case WASMTIME_COMPONENT_VALTYPE_ERROR_CONTEXT:
      return "an error-context";
    case WASMTIME_COMPONENT_VALTYPE_MAP:
      return "a map";
    default:
      return "a value of an unknown type";
  }
}

namespace {

// ----------------------------------------------------------------------------------------
// Parsing

class Parser {
 public:
  explicit Parser(std::string_view text) : lexer_(text) {}

  Lexer& lexer() { return lexer_; }

  Result<Val> value(const ValType& type, int depth) {
    if (depth > kMaxDepth) {
      ORIVON_TRY(Token token, lexer_.peek());
      return invalid_argument("value nested more than " + std::to_string(kMaxDepth) +
                              " levels deep" + at_offset(token.offset));
    }
    switch (type.kind()) {
      case WASMTIME_COMPONENT_VALTYPE_BOOL:
        return boolean();
      case WASMTIME_COMPONENT_VALTYPE_S8:
        return integer<int8_t>(type);
      case WASMTIME_COMPONENT_VALTYPE_S16:
        return integer<int16_t>(type);
      case WASMTIME_COMPONENT_VALTYPE_S32:
        return integer<int32_t>(type);
      case WASMTIME_COMPONENT_VALTYPE_S64:
        return integer<int64_t>(type);
      case WASMTIME_COMPONENT_VALTYPE_U8:
        return integer<uint8_t>(type);
      case WASMTIME_COMPONENT_VALTYPE_U16:
        return integer<uint16_t>(type);
      case WASMTIME_COMPONENT_VALTYPE_U32:
        return integer<uint32_t>(type);
      case WASMTIME_COMPONENT_VALTYPE_U64:
        return integer<uint64_t>(type);
      case WASMTIME_COMPONENT_VALTYPE_F32:
        return floating<float>(type);
      case WASMTIME_COMPONENT_VALTYPE_F64:
        return floating<double>(type);
      case WASMTIME_COMPONENT_VALTYPE_CHAR:
        return character();
      case WASMTIME_COMPONENT_VALTYPE_STRING:
        return string();
      case WASMTIME_COMPONENT_VALTYPE_LIST:
        return list(type, depth);
      case WASMTIME_COMPONENT_VALTYPE_RECORD:
        return record(type, depth);
      case WASMTIME_COMPONENT_VALTYPE_TUPLE:
        return tuple(type, depth);
      case WASMTIME_COMPONENT_VALTYPE_VARIANT:
        return variant(type, depth);
      case WASMTIME_COMPONENT_VALTYPE_ENUM:
        return enumeration(type);
      case WASMTIME_COMPONENT_VALTYPE_OPTION:
        return option(type, depth);
      case WASMTIME_COMPONENT_VALTYPE_RESULT:
        return result(type, depth);
      case WASMTIME_COMPONENT_VALTYPE_FLAGS:
        return flags(type);
      default: {
        ORIVON_TRY(Token token, lexer_.peek());
        return Error(ErrorCode::Unimplemented,
                     "WAVE cannot encode " + describe_type(type) + " (needed" +
                         at_offset(token.offset) + "); only plain data types can be parsed");
      }
    }
  }

 private:
  Result<Val> boolean() {
    ORIVON_TRY(Token token, lexer_.next());
    if (is_bare(token, "true")) return Val(true);
    if (is_bare(token, "false")) return Val(false);
    return expected("a bool", token);
  }

  template <typename T>
  Result<Val> integer(const ValType& type) {
    ORIVON_TRY(Token token, lexer_.next());
    auto fail = [&] { return expected(describe_type(type), token); };
    if (token.kind != TokenKind::kNumber || !is_integer_syntax(token.text)) return fail();
    std::string_view digits = token.text;
    const bool negative = digits.front() == '-';
    if (negative) digits.remove_prefix(1);
    uint64_t magnitude = 0;
    for (char c : digits) {
      const auto digit = static_cast<uint64_t>(c - '0');
      if (magnitude > (std::numeric_limits<uint64_t>::max() - digit) / 10) return fail();
      magnitude = magnitude * 10 + digit;
    }
    if constexpr (std::is_unsigned_v<T>) {
      if (negative || magnitude > std::numeric_limits<T>::max()) return fail();
      return Val(static_cast<T>(magnitude));
    } else {
      const auto max = static_cast<uint64_t>(std::numeric_limits<T>::max());
      if (!negative) {
        if (magnitude > max) return fail();
        return Val(static_cast<T>(magnitude));
      }
      if (magnitude > max + 1) return fail();
      // -(max + 1) cannot be negated in T, so go through the next wider step.
      if (magnitude == max + 1) return Val(std::numeric_limits<T>::min());
      return Val(static_cast<T>(-static_cast<int64_t>(magnitude)));
    }
  }

  template <typename F>
  Result<Val> floating(const ValType& type) {
    ORIVON_TRY(Token token, lexer_.next());
    if (is_bare(token, "nan")) return Val(std::numeric_limits<F>::quiet_NaN());
    if (is_bare(token, "inf")) return Val(std::numeric_limits<F>::infinity());
    if (token.kind != TokenKind::kNumber) return expected(describe_type(type), token);
    if (token.text == "-inf") return Val(-std::numeric_limits<F>::infinity());
    F value = 0;
    const char* first = token.text.data();
    const char* last = first + token.text.size();
    auto [end, ec] = std::from_chars(first, last, value, std::chars_format::general);
    if (ec == std::errc::result_out_of_range) {
      // Like Rust's parse() (which wasm-wave uses): round to infinity or zero.
      value = is_overflow(token.text) ? std::numeric_limits<F>::infinity() : F{0};
      if (token.text.front() == '-') value = -value;
    } else if (ec != std::errc() || end != last) {
      return expected(describe_type(type), token);
    }
    return Val(value);
  }

  Result<Val> character() {
    ORIVON_TRY(Token token, lexer_.next());
    if (token.kind != TokenKind::kChar) return expected("a char", token);
    ORIVON_TRY(uint32_t cp, decode_char(token));
    return Val::char_(cp);
  }

  Result<Val> string() {
    ORIVON_TRY(Token token, lexer_.next());
    if (token.kind == TokenKind::kString) {
      ORIVON_TRY(std::string text, decode_string(token));
      return Val::string(text);
    }
    if (token.kind == TokenKind::kMultilineString) {
      ORIVON_TRY(std::string text, decode_multiline_string(token));
      return Val::string(text);
    }
    return expected("a string", token);
  }

  // Parses `element (, element)* ,? close` after the opening token, calling element() for
  // each element.
  template <typename ElementFn>
  Result<void> sequence(const Token& open, TokenKind close, std::string_view what,
                        ElementFn&& element) {
    const char close_char = close == TokenKind::kBracketClose ? ']'
                            : close == TokenKind::kParenClose ? ')'
                                                              : '}';
    while (true) {
      ORIVON_TRY(Token next, lexer_.peek());
      if (next.kind == close) {
        lexer_.skip();
        return ok();
      }
      ORIVON_RETURN_IF_ERROR(element());
      ORIVON_TRY(Token separator, lexer_.next());
      if (separator.kind == TokenKind::kComma) continue;
      if (separator.kind == close) return ok();
      return expected("',' or '" + std::string(1, close_char) + "' in the " + std::string(what) +
                          " that starts" + at_offset(open.offset),
                      separator);
    }
  }

  Result<Val> list(const ValType& type, int depth) {
    ORIVON_TRY(Token open, lexer_.next());
    if (open.kind != TokenKind::kBracketOpen) return expected("a list", open);
    const ValType element_type = type.list().element();
    std::vector<Val> elements;
    ORIVON_RETURN_IF_ERROR(sequence(open, TokenKind::kBracketClose, "list", [&]() -> Result<void> {
      ORIVON_TRY(Val element, value(element_type, depth + 1));
      elements.push_back(std::move(element));
      return ok();
    }));
    return Val(List(std::move(elements)));
  }

  Result<Val> tuple(const ValType& type, int depth) {
    ORIVON_TRY(Token open, lexer_.next());
    const auto& tuple_type = type.tuple();
    const size_t count = tuple_type.types_count();
    if (open.kind != TokenKind::kParenOpen) {
      return expected("a tuple of " + std::to_string(count) + " elements", open);
    }
    std::vector<Val> elements;
    ORIVON_RETURN_IF_ERROR(sequence(open, TokenKind::kParenClose, "tuple", [&]() -> Result<void> {
      std::optional<ValType> element_type = tuple_type.types_nth(elements.size());
      if (!element_type) {
        ORIVON_TRY(Token extra, lexer_.peek());
        return invalid_argument("too many elements for a tuple of " + std::to_string(count) +
                                ": " + describe(extra) + at_offset(extra.offset));
      }
      ORIVON_TRY(Val element, value(*element_type, depth + 1));
      elements.push_back(std::move(element));
      return ok();
    }));
    if (elements.size() != count) {
      return invalid_argument("expected a tuple of " + std::to_string(count) +
                              " elements, found " + std::to_string(elements.size()) +
                              " in the tuple that starts" + at_offset(open.offset));
    }
    return Val(Tuple(std::move(elements)));
  }

  Result<Val> record(const ValType& type, int depth) {
    ORIVON_TRY(Token open, lexer_.next());
    if (open.kind != TokenKind::kBraceOpen) return expected("a record", open);
    const auto& record_type = type.record();
    std::vector<std::pair<std::string, ValType>> fields;
    for (size_t i = 0; i < record_type.field_count(); ++i) {
      if (auto field = record_type.field_nth(i)) {
        fields.emplace_back(std::string(field->first), std::move(field->second));
      }
    }
    std::vector<std::optional<Val>> values(fields.size());

    ORIVON_TRY(Token first, lexer_.peek());
    if (first.kind == TokenKind::kColon) {
      lexer_.skip();
      ORIVON_TRY(Token close, lexer_.next());
      if (close.kind != TokenKind::kBraceClose) return expected("'}' after '{:'", close);
    } else if (first.kind == TokenKind::kBraceClose) {
      return invalid_argument("expected a record, found '{}'" + at_offset(open.offset) +
                              " (a record with no fields given is written '{:}')");
    } else {
      auto parse_field = [&]() -> Result<void> {
        ORIVON_TRY(Token label, lexer_.next());
        if (label.kind != TokenKind::kLabel) return expected("a record field name", label);
        const std::string_view name = label_name(label);
        size_t index = 0;
        while (index < fields.size() && fields[index].first != name) ++index;
        if (index == fields.size()) {
          std::vector<std::string> names;
          for (const auto& field : fields) names.push_back(field.first);
          return invalid_argument("unknown field " + quote(name) + at_offset(label.offset) +
                                  " (the record's fields are " + name_list(std::move(names)) +
                                  ")");
        }
        if (values[index]) {
          return invalid_argument("duplicate field " + quote(name) + at_offset(label.offset));
        }
        ORIVON_TRY(Token colon, lexer_.next());
        if (colon.kind != TokenKind::kColon) {
          return expected("':' after field name " + quote(name), colon);
        }
        ORIVON_TRY(Val field_value, value(fields[index].second, depth + 1));
        values[index] = std::move(field_value);
        return ok();
      };
      ORIVON_RETURN_IF_ERROR(sequence(open, TokenKind::kBraceClose, "record", parse_field));
    }

    std::vector<std::pair<std::string_view, Val>> entries;
    entries.reserve(fields.size());
    for (size_t i = 0; i < fields.size(); ++i) {
      if (values[i]) {
        entries.emplace_back(fields[i].first, std::move(*values[i]));
      } else if (fields[i].second.is_option()) {
        entries.emplace_back(fields[i].first, Val(WitOption(std::nullopt)));
      } else {
        return invalid_argument("missing field " + quote(fields[i].first) +
                                " in the record that starts" + at_offset(open.offset));
      }
    }
    return Val(Record(std::move(entries)));
  }

  // Reads `(payload)` after a case label, if the case has a payload type; rejects a payload
  // for a case without one.
  Result<std::optional<Val>> payload(const Token& label, const std::optional<ValType>& type,
                                     int depth) {
    ORIVON_TRY(Token next, lexer_.peek());
    if (!type) {
      if (next.kind == TokenKind::kParenOpen) {
        return invalid_argument("case " + quote(label.text) + " has no payload, found '('" +
                                at_offset(next.offset));
      }
      return std::optional<Val>();
    }
    if (next.kind != TokenKind::kParenOpen) {
      return expected("'(' and the payload of case " + quote(label.text), next);
    }
    lexer_.skip();
    ORIVON_TRY(Val inner, value(*type, depth + 1));
    ORIVON_TRY(Token close, lexer_.next());
    if (close.kind != TokenKind::kParenClose) {
      return expected("')' after the payload of case " + quote(label.text), close);
    }
    return std::optional<Val>(std::move(inner));
  }

  Result<Val> variant(const ValType& type, int depth) {
    ORIVON_TRY(Token label, lexer_.next());
    if (label.kind != TokenKind::kLabel) return expected(describe_type(type), label);
    const std::string_view name = label_name(label);
    const auto& variant_type = type.variant();
    for (size_t i = 0; i < variant_type.case_count(); ++i) {
      auto variant_case = variant_type.case_nth(i);
      if (!variant_case || variant_case->first != name) continue;
      ORIVON_TRY(std::optional<Val> inner, payload(label, variant_case->second, depth));
      return Val(Variant(name, std::move(inner)));
    }
    return expected(describe_type(type), label);
  }

  Result<Val> enumeration(const ValType& type) {
    ORIVON_TRY(Token label, lexer_.next());
    if (label.kind != TokenKind::kLabel) return expected(describe_type(type), label);
    const std::string_view name = label_name(label);
    const auto& enum_type = type.enum_();
    for (size_t i = 0; i < enum_type.names_count(); ++i) {
      if (enum_type.names_nth(i) != name) continue;
      ORIVON_TRY(std::optional<Val> none, payload(label, std::nullopt, 0));
      (void)none;
      return Val::enum_(name);
    }
    return expected(describe_type(type), label);
  }

  Result<Val> option(const ValType& type, int depth) {
    const ValType inner_type = type.option().ty();
    ORIVON_TRY(Token token, lexer_.peek());
    if (is_bare(token, "some") || is_bare(token, "none")) {
      lexer_.skip();
      std::optional<ValType> payload_type;
      if (token.text == "some") payload_type = inner_type;
      ORIVON_TRY(std::optional<Val> inner, payload(token, payload_type, depth));
      return Val(WitOption(std::move(inner)));
    }
    if (!is_flattenable(inner_type)) {
      return expected("an option ('some(...)' or 'none')", token);
    }
    // WAVE lets `some(x)` be written as just `x` when that is unambiguous.
    ORIVON_TRY(Val inner, value(inner_type, depth + 1));
    return Val(WitOption(std::optional<Val>(std::move(inner))));
  }

  Result<Val> result(const ValType& type, int depth) {
    const auto& result_type = type.result();
    std::optional<ValType> ok_type = result_type.ok();
    ORIVON_TRY(Token token, lexer_.peek());
    if (is_bare(token, "ok") || is_bare(token, "err")) {
      lexer_.skip();
      const bool is_ok = token.text == "ok";
      ORIVON_TRY(std::optional<Val> inner,
                 payload(token, is_ok ? ok_type : result_type.err(), depth));
      return Val(is_ok ? WitResult::ok(std::move(inner)) : WitResult::err(std::move(inner)));
    }
    if (!ok_type || !is_flattenable(*ok_type)) {
      return expected("a result ('ok' or 'err')", token);
    }
    // Like options, `ok(x)` may be written as just `x`.
    ORIVON_TRY(Val inner, value(*ok_type, depth + 1));
    return Val(WitResult::ok(std::optional<Val>(std::move(inner))));
  }

  Result<Val> flags(const ValType& type) {
    ORIVON_TRY(Token open, lexer_.next());
    if (open.kind != TokenKind::kBraceOpen) return expected("flags", open);
    const auto& flags_type = type.flags();
    std::vector<std::string> names;
    for (size_t i = 0; i < flags_type.names_count(); ++i) {
      if (auto name = flags_type.names_nth(i)) names.emplace_back(*name);
    }
    std::vector<bool> set(names.size(), false);
    ORIVON_RETURN_IF_ERROR(sequence(open, TokenKind::kBraceClose, "flags", [&]() -> Result<void> {
      ORIVON_TRY(Token label, lexer_.next());
      if (label.kind != TokenKind::kLabel) return expected("a flag name", label);
      const std::string_view name = label_name(label);
      size_t index = 0;
      while (index < names.size() && names[index] != name) ++index;
      if (index == names.size()) {
        return invalid_argument("unknown flag " + quote(name) + at_offset(label.offset) +
                                " (the flags are " + name_list(names) + ")");
      }
      if (set[index]) {
        return invalid_argument("duplicate flag " + quote(name) + at_offset(label.offset));
      }
      set[index] = true;
      return ok();
    }));
    std::vector<Flag> chosen;
    for (size_t i = 0; i < names.size(); ++i) {
      if (set[i]) chosen.emplace_back(names[i]);
    }
    return Val(Flags(std::move(chosen)));
  }

  Lexer lexer_;
};

// ----------------------------------------------------------------------------------------
// Formatting

void append_escaped(uint32_t cp, std::string* out) {
  // The same escapes as wasm-wave's writer, so output matches `wasmtime run --invoke`.
  switch (cp) {
    case '\\':
      *out += "\\\\";
      return;
    case '"':
      *out += "\\\"";
      return;
    case '\'':
      *out += "\\'";
      return;
    case '\t':
      *out += "\\t";
      return;
    case '\n':
      *out += "\\n";
      return;
    case '\r':
      *out += "\\r";
      return;
    default:
      break;
  }
  if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || !is_scalar_value(cp)) {
    *out += "\\u{";
    append_hex(cp, out);
    *out += "}";
    return;
  }
  append_utf8(cp, out);
}

void append_label(std::string_view name, std::string* out) {
  if (is_keyword(name)) out->push_back('%');
  out->append(name);
}

template <typename F>
void append_float(F value, std::string* out) {
  if (std::isnan(value)) {
    *out += "nan";
  } else if (std::isinf(value)) {
    *out += value > 0 ? "inf" : "-inf";
  } else {
    char buffer[64];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
    (void)ec;
    out->append(buffer, end);
  }
}

template <typename Range>
void append_values(const Range& values, int depth, std::string* out);

void append_value(const Val& value, int depth, std::string* out) {
  if (depth > kMaxFormatDepth) {
    *out += "...";
    return;
  }
  if (value.is_bool()) {
    *out += value.get_bool() ? "true" : "false";
  } else if (value.is_s8()) {
    *out += std::to_string(value.get_s8());
  } else if (value.is_u8()) {
    *out += std::to_string(value.get_u8());
  } else if (value.is_s16()) {
    *out += std::to_string(value.get_s16());
  } else if (value.is_u16()) {
    *out += std::to_string(value.get_u16());
  } else if (value.is_s32()) {
    *out += std::to_string(value.get_s32());
  } else if (value.is_u32()) {
    *out += std::to_string(value.get_u32());
  } else if (value.is_s64()) {
    *out += std::to_string(value.get_s64());
  } else if (value.is_u64()) {
    *out += std::to_string(value.get_u64());
  } else if (value.is_f32()) {
    append_float(value.get_f32(), out);
  } else if (value.is_f64()) {
    append_float(value.get_f64(), out);
  } else if (value.capi()->kind == WASMTIME_COMPONENT_CHAR) {
    // The C++ Val has a char_() constructor but no is_char()/get_char().
    out->push_back('\'');
    append_escaped(value.capi()->of.character, out);
    out->push_back('\'');
  } else if (value.is_string()) {
    const std::string_view text = value.get_string();
    out->push_back('"');
    size_t pos = 0;
    while (pos < text.size()) {
      char32_t cp = 0;
      size_t length = decode_utf8(text, pos, &cp);
      if (length == 0) {
        cp = 0xFFFD;  // Wasmtime's strings are UTF-8; only a hand-made Val can get here.
        length = 1;
      }
      append_escaped(cp, out);
      pos += length;
    }
    out->push_back('"');
  } else if (value.is_list()) {
    out->push_back('[');
    append_values(value.get_list(), depth, out);
    out->push_back(']');
  } else if (value.is_tuple()) {
    out->push_back('(');
    append_values(value.get_tuple(), depth, out);
    out->push_back(')');
  } else if (value.is_record()) {
    out->push_back('{');
    bool first = true;
    for (const RecordField& field : value.get_record()) {
      const Val& field_value = field.value();
      // wasm-wave leaves out `none` fields; parsing fills them back in.
      if (field_value.is_option() && field_value.get_option().value() == nullptr) continue;
      if (!first) *out += ", ";
      first = false;
      out->append(field.name());
      *out += ": ";
      append_value(field_value, depth + 1, out);
    }
    if (first) out->push_back(':');
    out->push_back('}');
  } else if (value.is_variant()) {
    const Variant& variant = value.get_variant();
    append_label(variant.discriminant(), out);
    if (const Val* payload = variant.value()) {
      out->push_back('(');
      append_value(*payload, depth + 1, out);
      out->push_back(')');
    }
  } else if (value.is_enum()) {
    append_label(value.get_enum(), out);
  } else if (value.is_option()) {
    if (const Val* payload = value.get_option().value()) {
      *out += "some(";
      append_value(*payload, depth + 1, out);
      out->push_back(')');
    } else {
      *out += "none";
    }
  } else if (value.is_result()) {
    const WitResult& result = value.get_result();
    *out += result.is_ok() ? "ok" : "err";
    if (const Val* payload = result.payload()) {
      out->push_back('(');
      append_value(*payload, depth + 1, out);
      out->push_back(')');
    }
  } else if (value.is_flags()) {
    out->push_back('{');
    bool first = true;
    for (const Flag& flag : value.get_flags()) {
      if (!first) *out += ", ";
      first = false;
      out->append(flag.name());
    }
    out->push_back('}');
  } else if (value.is_map()) {
    // WAVE has no map syntax yet; a list of key/value tuples is how maps are lowered.
    out->push_back('[');
    bool first = true;
    for (const MapEntry& entry : value.get_map()) {
      if (!first) *out += ", ";
      first = false;
      out->push_back('(');
      append_value(entry.key(), depth + 1, out);
      *out += ", ";
      append_value(entry.value(), depth + 1, out);
      out->push_back(')');
    }
    out->push_back(']');
  } else if (value.is_resource()) {
    *out += "resource";
  } else {
    *out += "<unsupported value>";
  }
}

template <typename Range>
void append_values(const Range& values, int depth, std::string* out) {
  bool first = true;
  for (const Val& element : values) {
    if (!first) *out += ", ";
    first = false;
    append_value(element, depth + 1, out);
  }
}

}  // namespace

Result<wasmtime::component::Val> parse_wave_value(std::string_view text,
                                                  const wasmtime::component::ValType& type) {
  Parser parser(text);
  ORIVON_TRY(Val value, parser.value(type, 1));
  ORIVON_TRY(Token rest, parser.lexer().next());
  if (rest.kind != TokenKind::kEnd) {
    return invalid_argument("unexpected " + describe(rest) + " after the value" +
                            at_offset(rest.offset));
  }
  return value;
}

Result<std::vector<wasmtime::component::Val>> parse_wave_arguments(
    std::string_view text, std::span<const wasmtime::component::ValType> types) {
  Parser parser(text);
  std::vector<Val> values;
  while (true) {
    ORIVON_TRY(Token next, parser.lexer().peek());
    if (next.kind == TokenKind::kEnd) break;
    if (values.size() == types.size()) {
      return invalid_argument("too many arguments: expected " + std::to_string(types.size()) +
                              ", found another, " + describe(next) + at_offset(next.offset));
    }
    ORIVON_TRY(Val value, parser.value(types[values.size()], 1));
    values.push_back(std::move(value));
    ORIVON_TRY(Token separator, parser.lexer().next());
    if (separator.kind == TokenKind::kEnd) break;
    if (separator.kind != TokenKind::kComma) {
      return expected("',' or the end of the arguments", separator);
    }
  }
  // WAVE lets trailing `none` arguments be left out.
  for (size_t i = values.size(); i < types.size(); ++i) {
    if (!types[i].is_option()) {
      return invalid_argument("missing argument " + std::to_string(i + 1) + " of " +
                              std::to_string(types.size()) + " (" + describe_type(types[i]) +
                              ")" + at_offset(text.size()));
    }
    values.emplace_back(WitOption(std::nullopt));
  }
  return values;
}

std::string format_wave(const wasmtime::component::Val& value) {
  std::string out;
  append_value(value, 1, &out);
  return out;
}

}  // namespace orivon::values
