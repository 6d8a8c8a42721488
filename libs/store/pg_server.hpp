// Test support (not part of kai_store): a real PostgreSQL server owned by the calling process,
// for the store's tests and benchmark. start() runs initdb into a fresh temp dir and postgres on a
// free loopback port. When the caller is root (the server refuses to run as root) both run as the
// `postgres` system user, in a temp dir that user owns; otherwise as the caller.
//
// The postmaster gets SIGQUIT (immediate shutdown, which ends every backend) if the thread that
// started it dies, so a crashed test leaves no server behind. Create it from the main thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <sys/types.h>

#include "common/result.hpp"

namespace kai::store::testing {

class PgServer {
 public:
  // Errors: unavailable when no PostgreSQL installation is found or the server does not start
  // (the message carries the end of the server log).
  static Result<std::unique_ptr<PgServer>> start();
  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  int port() const { return port_; }
  // postgresql://postgres@127.0.0.1:<port>/<db>
  std::string url(std::string_view db = "postgres") const;
  // Creates a database with a fresh unique name and returns its URL.
  Result<std::string> create_database();

  // Kills the whole server (postmaster and every backend and auxiliary process) with SIGKILL,
  // like a machine crash from the database's point of view, and waits until all are gone.
  void crash();
  // Starts the server again on the same data and port; it runs crash recovery if needed.
  Status restart();

  std::string log_tail() const;

 private:
  PgServer() = default;
  Status launch();
  void stop();

  std::string bindir_;
  std::string dir_;  // owned by the server's user; data/ and the socket live inside
  bool as_postgres_ = false;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  int port_ = 0;
  pid_t pid_ = -1;
  int next_db_ = 0;
};

}  // namespace kai::store::testing
