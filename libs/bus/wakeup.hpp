// An eventfd used to wake a thread blocked in zmq_poll from another thread: pollable as a plain
// file descriptor, coalesces many notifications into one wake-up.
#pragma once

namespace kai::bus {

class Wakeup {
 public:
  Wakeup();
  ~Wakeup();
  Wakeup(const Wakeup&) = delete;
  Wakeup& operator=(const Wakeup&) = delete;

  int fd() const { return fd_; }
  void notify();
  // Clears pending notifications (call when woken, before draining the work queue).
  void drain();

 private:
  int fd_;
};

}  // namespace kai::bus
