// An std::ostream writing to a file descriptor, so kaictl can print its results to the original
// stdout after main() has pointed descriptor 1 (where the log library writes) at stderr.
#pragma once

#include <array>
#include <ostream>
#include <streambuf>

namespace kai::kaictl {

class FdStreambuf : public std::streambuf {
 public:
  explicit FdStreambuf(int fd);
  ~FdStreambuf() override;
  FdStreambuf(const FdStreambuf&) = delete;
  FdStreambuf& operator=(const FdStreambuf&) = delete;

 protected:
  int_type overflow(int_type ch) override;
  int sync() override;

 private:
  bool flush_buffer();

  int fd_;
  std::array<char, 8192> buf_{};
};

// Owns nothing: the descriptor stays open (the process exit closes it).
class FdOStream : public std::ostream {
 public:
  explicit FdOStream(int fd) : std::ostream(nullptr), buf_(fd) { rdbuf(&buf_); }

 private:
  FdStreambuf buf_;
};

}  // namespace kai::kaictl
