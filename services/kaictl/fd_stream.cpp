#include "kaictl/fd_stream.hpp"

#include <cerrno>

#include <unistd.h>

namespace kai::kaictl {

FdStreambuf::FdStreambuf(int fd) : fd_(fd) {
  setp(buf_.data(), buf_.data() + buf_.size());
}

FdStreambuf::~FdStreambuf() {
  flush_buffer();
}

bool FdStreambuf::flush_buffer() {
  const char* p = pbase();
  std::size_t left = static_cast<std::size_t>(pptr() - pbase());
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  setp(buf_.data(), buf_.data() + buf_.size());
  return true;
}

FdStreambuf::int_type FdStreambuf::overflow(int_type ch) {
  if (!flush_buffer()) return traits_type::eof();
  if (!traits_type::eq_int_type(ch, traits_type::eof())) {
    *pptr() = traits_type::to_char_type(ch);
    pbump(1);
  }
  return traits_type::not_eof(ch);
}

int FdStreambuf::sync() {
  return flush_buffer() ? 0 : -1;
}

}  // namespace kai::kaictl
