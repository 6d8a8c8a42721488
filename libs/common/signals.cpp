#include "common/signals.hpp"

#include <cerrno>
#include <cstdlib>

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

namespace kai {

ShutdownSignals::ShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A peer that disappears must not kill us through SIGPIPE.
  signal(SIGPIPE, SIG_IGN);
  fd_ = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd_ < 0) std::abort();  // only fails on resource exhaustion at start-up
}

ShutdownSignals::~ShutdownSignals() {
  if (fd_ >= 0) ::close(fd_);
}

ShutdownSignals::Event ShutdownSignals::read() {
  signalfd_siginfo info;
  const ssize_t n = ::read(fd_, &info, sizeof info);
  if (n != static_cast<ssize_t>(sizeof info)) return Event::none;
  return info.ssi_signo == SIGHUP ? Event::reload : Event::shutdown;
}

ShutdownSignals::Event ShutdownSignals::wait() {
  while (true) {
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, -1);
    if (r < 0 && errno != EINTR) return Event::shutdown;
    const Event e = read();
    if (e != Event::none) return e;
  }
}

}  // namespace kai
