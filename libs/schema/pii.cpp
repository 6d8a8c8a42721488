#include "schema/pii.hpp"

#include "schema/utf8.hpp"

namespace kai::schema {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::size_t count_chars(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); i += utf8_char_bytes(s, i))
    ++n;
  return n;
}

// Byte offset of character number `n` (or s.size()).
std::size_t char_offset(std::string_view s, std::size_t n) {
  std::size_t i = 0;
  for (; i < s.size() && n > 0; --n)
    i += utf8_char_bytes(s, i);
  return i;
}

void mask_phone(std::string_view v, std::string& out) {
  std::size_t digits = 0;
  for (char c : v)
    digits += is_digit(c) ? 1 : 0;
  const bool keep_some = digits >= 8;
  std::size_t seen = 0;
  for (std::size_t i = 0; i < v.size();) {
    const std::size_t n = utf8_char_bytes(v, i);
    if (n == 1 && is_digit(v[i])) {
      const bool keep = keep_some && (seen < 3 || seen >= digits - 4);
      out.push_back(keep ? v[i] : '*');
      ++seen;
    } else {
      out.append(v.substr(i, n));
    }
    i += n;
  }
}

void mask_id_number(std::string_view v, std::string& out) {
  const std::size_t chars = count_chars(v);
  if (chars <= 8) {
    out.append(chars, '*');
    return;
  }
  const std::size_t head = char_offset(v, 3);
  const std::size_t tail = char_offset(v, chars - 4);
  out.append(v.substr(0, head));
  out.append(chars - 7, '*');
  out.append(v.substr(tail));
}

void mask_name(std::string_view v, std::string& out) {
  const std::size_t chars = count_chars(v);
  if (chars == 0) return;
  if (chars == 1) {
    out.push_back('*');
    return;
  }
  out.append(v.substr(0, utf8_char_bytes(v, 0)));
  out.append(chars - 1, '*');
}

void mask_address(std::string_view v, std::string& out) {
  const std::size_t chars = count_chars(v);
  if (chars == 0) return;
  const std::size_t keep = chars > 6 ? 6 : chars / 2;
  out.append(v.substr(0, char_offset(v, keep)));
  out.append("***");
}

void mask_email(std::string_view v, std::string& out) {
  if (v.empty()) return;
  const std::size_t at = v.rfind('@');
  if (at != 0) out.append(v.substr(0, utf8_char_bytes(v, 0)));
  out.append("***");
  if (at != std::string_view::npos) out.append(v.substr(at));
}

}  // namespace

std::string_view mask_pii(std::string_view value, PiiKind kind, std::string& scratch) {
  if (kind == PiiKind::none) return value;
  scratch.clear();
  switch (kind) {
    case PiiKind::phone:
      mask_phone(value, scratch);
      break;
    case PiiKind::id_number:
      mask_id_number(value, scratch);
      break;
    case PiiKind::name:
      mask_name(value, scratch);
      break;
    case PiiKind::address:
      mask_address(value, scratch);
      break;
    case PiiKind::email:
      mask_email(value, scratch);
      break;
    case PiiKind::none:
      break;
  }
  return scratch;
}

}  // namespace kai::schema
