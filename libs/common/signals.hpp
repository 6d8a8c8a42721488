// Process signals as a pollable file descriptor. Construct ShutdownSignals first thing in main(),
// before any thread (including ZeroMQ's) starts, so every thread inherits the blocked mask and the
// signals are delivered only through fd(): the main loop polls it alongside its sockets.
//   SIGTERM, SIGINT → shutdown requested (drain and exit 0)
//   SIGHUP          → reload requested (tokens, allow-lists)
#pragma once

namespace kai {

class ShutdownSignals {
 public:
  enum class Event { none, shutdown, reload };

  ShutdownSignals();
  ~ShutdownSignals();
  ShutdownSignals(const ShutdownSignals&) = delete;
  ShutdownSignals& operator=(const ShutdownSignals&) = delete;

  // Readable when a signal is pending.
  int fd() const { return fd_; }
  // Consumes one pending signal without blocking.
  Event read();
  // Blocks until shutdown is requested, calling on_reload for every SIGHUP meanwhile.
  template <typename OnReload>
  void wait_for_shutdown(OnReload&& on_reload) {
    while (true) {
      const Event e = wait();
      if (e == Event::shutdown) return;
      if (e == Event::reload) on_reload();
    }
  }

 private:
  Event wait();
  int fd_ = -1;
};

}  // namespace kai
