#include "bus/wakeup.hpp"

#include <cstdint>
#include <cstdlib>

#include <sys/eventfd.h>
#include <unistd.h>

namespace kai::bus {

Wakeup::Wakeup() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (fd_ < 0) std::abort();  // only on fd exhaustion at start-up
}

Wakeup::~Wakeup() {
  ::close(fd_);
}

void Wakeup::notify() {
  const std::uint64_t one = 1;
  (void)!::write(fd_, &one, sizeof one);
}

void Wakeup::drain() {
  std::uint64_t v;
  (void)!::read(fd_, &v, sizeof v);
}

}  // namespace kai::bus
