#include "schema/reader.hpp"

#include <bit>
#include <cstring>

namespace kai::schema {

bool Reader::take(std::size_t n, std::string_view& out) {
  if (in_.size() - pos_ < n) return false;
  out = std::string_view(in_.data() + pos_, n);
  pos_ += n;
  return true;
}

bool Reader::read_be(std::size_t n, std::uint64_t& v) {
  std::string_view b;
  if (!take(n, b)) return false;
  switch (n) {
    case 1:
      v = static_cast<unsigned char>(b[0]);
      return true;
    case 2: {
      std::uint16_t x;
      std::memcpy(&x, b.data(), 2);
      v = std::endian::native == std::endian::little ? __builtin_bswap16(x) : x;
      return true;
    }
    case 4: {
      std::uint32_t x;
      std::memcpy(&x, b.data(), 4);
      v = std::endian::native == std::endian::little ? __builtin_bswap32(x) : x;
      return true;
    }
    default: {
      std::uint64_t x;
      std::memcpy(&x, b.data(), 8);
      v = std::endian::native == std::endian::little ? __builtin_bswap64(x) : x;
      return true;
    }
  }
}

bool Reader::sized(std::uint64_t n, Token::Type type, Token& t) {
  t.type = type;
  return take(static_cast<std::size_t>(n), t.data);
}

bool Reader::next_other(Token& t) {
  const auto b = static_cast<unsigned char>(in_[pos_++]);
  std::uint64_t n = 0;
  if (b >= 0xe0) {
    t.type = Token::sint;
    t.sint_value = static_cast<std::int8_t>(b);
    return true;
  }
  switch (b) {
    case 0xc0:
      t.type = Token::nil;
      return true;
    case 0xc2:
    case 0xc3:
      t.type = Token::boolean;
      t.boolean_value = b == 0xc3;
      return true;
    case 0xc4:
    case 0xc5:
    case 0xc6:
      return read_be(std::size_t{1} << (b - 0xc4), n) && sized(n, Token::bin, t);
    case 0xd9:
    case 0xda:
    case 0xdb:
      return read_be(std::size_t{1} << (b - 0xd9), n) && sized(n, Token::str, t);
    case 0xc7:
    case 0xc8:
    case 0xc9: {
      std::uint64_t type = 0;
      if (!read_be(std::size_t{1} << (b - 0xc7), n) || !read_be(1, type)) return false;
      t.ext_type = static_cast<std::int8_t>(type);
      return sized(n, Token::ext, t);
    }
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8: {
      std::uint64_t type = 0;
      if (!read_be(1, type)) return false;
      t.ext_type = static_cast<std::int8_t>(type);
      return sized(std::uint64_t{1} << (b - 0xd4), Token::ext, t);
    }
    case 0xca: {
      if (!read_be(4, n)) return false;
      t.type = Token::float32;
      t.float_value = std::bit_cast<float>(static_cast<std::uint32_t>(n));
      return true;
    }
    case 0xcb:
      if (!read_be(8, n)) return false;
      t.type = Token::float64;
      t.float_value = std::bit_cast<double>(n);
      return true;
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf:
      if (!read_be(std::size_t{1} << (b - 0xcc), n)) return false;
      t.type = Token::uint;
      t.uint_value = n;
      return true;
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3: {
      const std::size_t size = std::size_t{1} << (b - 0xd0);
      if (!read_be(size, n)) return false;
      // Sign-extend from `size` bytes; an int encoding of a value >= 0 is an unsigned integer.
      const unsigned shift = static_cast<unsigned>(64 - 8 * size);
      const auto v = static_cast<std::int64_t>(n << shift) >> shift;
      if (v >= 0) {
        t.type = Token::uint;
        t.uint_value = static_cast<std::uint64_t>(v);
      } else {
        t.type = Token::sint;
        t.sint_value = v;
      }
      return true;
    }
    case 0xdc:
    case 0xdd:
      return read_be(b == 0xdc ? 2 : 4, n) && container(n, Token::array, t);
    case 0xde:
    case 0xdf:
      return read_be(b == 0xde ? 2 : 4, n) && container(n, Token::map, t);
    default:  // 0xc1 is never used
      return false;
  }
}

bool Reader::skip(const Token& t) {
  std::uint64_t remaining = t.elements();
  Token e;
  while (remaining > 0) {
    if (!next(e)) return false;
    remaining += e.elements() - 1;
  }
  return true;
}

}  // namespace kai::schema
