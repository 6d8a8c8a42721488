#include "schema/utf8.hpp"

namespace kai::schema {
namespace {

// Length of the valid sequence at s[i] and its code point, or 0 when invalid.
std::size_t decode(std::string_view s, std::size_t i, char32_t& cp) {
  const auto c0 = static_cast<unsigned char>(s[i]);
  if (c0 < 0x80) {
    cp = c0;
    return 1;
  }
  std::size_t len;
  unsigned min_second = 0x80, max_second = 0xBF;
  if (c0 >= 0xC2 && c0 <= 0xDF) {
    len = 2;
    cp = c0 & 0x1Fu;
  } else if (c0 >= 0xE0 && c0 <= 0xEF) {
    len = 3;
    cp = c0 & 0x0Fu;
    if (c0 == 0xE0) min_second = 0xA0;  // overlong
    if (c0 == 0xED) max_second = 0x9F;  // surrogates
  } else if (c0 >= 0xF0 && c0 <= 0xF4) {
    len = 4;
    cp = c0 & 0x07u;
    if (c0 == 0xF0) min_second = 0x90;  // overlong
    if (c0 == 0xF4) max_second = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (s.size() - i < len) return 0;
  const auto c1 = static_cast<unsigned char>(s[i + 1]);
  if (c1 < min_second || c1 > max_second) return 0;
  cp = (cp << 6) | (c1 & 0x3Fu);
  for (std::size_t k = 2; k < len; ++k) {
    const auto ck = static_cast<unsigned char>(s[i + k]);
    if (ck < 0x80 || ck > 0xBF) return 0;
    cp = (cp << 6) | (ck & 0x3Fu);
  }
  return len;
}

}  // namespace

std::optional<std::size_t> utf8_length(std::string_view s) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
    } else {
      char32_t cp;
      const std::size_t n = decode(s, i, cp);
      if (n == 0) return std::nullopt;
      i += n;
    }
    ++count;
  }
  return count;
}

bool utf8_to_wide(std::string_view s, std::wstring& out) {
  static_assert(sizeof(wchar_t) == 4, "pattern matching needs one wchar_t per code point");
  out.clear();
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp;
    const std::size_t n = decode(s, i, cp);
    if (n == 0) return false;
    out.push_back(static_cast<wchar_t>(cp));
    i += n;
  }
  return true;
}

std::size_t utf8_char_bytes(std::string_view s, std::size_t i) {
  char32_t cp;
  const std::size_t n = decode(s, i, cp);
  return n == 0 ? 1 : n;
}

}  // namespace kai::schema
