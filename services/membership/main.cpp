// kai-membership: the alliance office's service (services/membership/service_definition.hpp).
#include "membership/service_definition.hpp"

int main(int argc, char** argv) {
  return kai::svc::run(argc, argv, kai::membership::definition());
}
