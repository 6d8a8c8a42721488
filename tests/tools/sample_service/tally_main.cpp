// kai-sample-tally: the sample tally service (see tally.hpp).
#include "sample_service/tally.hpp"

int main(int argc, char** argv) {
  return kai::svc::run(argc, argv, kai::sample::tally_definition());
}
