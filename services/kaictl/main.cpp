// kaictl: the platform's command line — MMI queries, bus calls with JSON in and out, CurveZMQ
// key pairs, the gateway's tokens. See cli.hpp and commands.hpp.
#include <iostream>

#include <unistd.h>

#include "kaictl/cli.hpp"
#include "kaictl/fd_stream.hpp"

int main(int argc, char** argv) {
  // Results go to the real stdout; the libraries' JSON log lines (written to descriptor 1) are
  // sent to stderr so that `kaictl call ... | jq` sees only the reply.
  int out_fd = ::dup(STDOUT_FILENO);
  if (out_fd < 0 || ::dup2(STDERR_FILENO, STDOUT_FILENO) < 0) out_fd = STDOUT_FILENO;
  kai::kaictl::FdOStream out(out_fd);
  kai::kaictl::Io io{std::cin, out, std::cerr, ::isatty(STDIN_FILENO) == 1, {}};
  const int rc = kai::kaictl::run(argc, argv, io);
  out.flush();
  return rc;
}
