// kai-sample-ledger: the sample ledger service (see ledger.hpp).
#include "sample_service/ledger.hpp"

int main(int argc, char** argv) {
  return kai::svc::run(argc, argv, kai::sample::ledger_definition());
}
