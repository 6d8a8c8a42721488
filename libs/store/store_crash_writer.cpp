// Helper of crash_test.cpp: writes rows as fast as it can from many threads and reports every
// acknowledged id on stdout ("ack <id>", one write(2) per line, so lines never interleave), until
// it is killed. Usage: store_crash_writer <data_dir> <db_url or ""> <threads>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "store/database.hpp"
#include "store/runtime.hpp"

namespace {

constexpr kai::store::Migration kSchema[] = {
    {.version = 1,
     .name = "crash rows",
     .sql = "CREATE TABLE crash_row (id BIGINT PRIMARY KEY, payload BLOB NOT NULL)",
     .postgres = "CREATE TABLE crash_row (id BIGINT PRIMARY KEY, payload BYTEA NOT NULL)"},
};

void say(const std::string& line) {
  const std::string out = line + "\n";
  (void)!::write(STDOUT_FILENO, out.data(), out.size());
}

}  // namespace

int main(int argc, char** argv) {
  // Never outlive the test that started us.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s <data_dir> <db_url or \"\"> <threads>\n", argv[0]);
    return 2;
  }
  kai::store::StoreOptions opts;
  opts.data_dir = argv[1];
  opts.service = "crash";
  opts.db_url = argv[2];
  const int threads = std::atoi(argv[3]);
  if (threads < 1 || threads > 256) {
    std::fprintf(stderr, "threads must be within 1..256\n");
    return 2;
  }
  auto db = kai::store::Database::open(opts);
  if (!db.ok()) {
    say("error " + db.status().to_string());
    return 1;
  }
  if (auto s = (*db)->migrate("crash", kSchema); !s.ok()) {
    say("error " + s.to_string());
    return 1;
  }
  say("ready");
  std::atomic<std::int64_t> next{1};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      while (true) {
        const std::int64_t id = next.fetch_add(1);
        const std::string payload = "row " + std::to_string(id);
        const kai::Status s = (*db)->write([&](kai::store::Tx& tx) -> kai::Status {
          KAI_RETURN_IF_ERROR(tx.exec("INSERT INTO crash_row(id, payload) VALUES (?, ?)",
                                      {id, kai::store::Blob{payload}}));
          return kai::store::outbox::append(tx, "crash.row.created", payload).status();
        });
        say(s.ok() ? "ack " + std::to_string(id) : "error " + s.to_string());
      }
    });
  }
  for (auto& th : pool)
    th.join();
  return 0;
}
