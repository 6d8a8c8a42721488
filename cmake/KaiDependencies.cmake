# Every third-party dependency comes from a Debian 12 package (scripts/install-deps.sh).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(cppzmq CONFIG REQUIRED)  # brings libzmq
find_package(msgpack CONFIG REQUIRED)  # target msgpackc-cxx (header-only)
find_package(prometheus-cpp CONFIG REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(PostgreSQL REQUIRED)
find_package(nlohmann_json CONFIG REQUIRED)
# Debian 12's hiredis CMake config is broken; pkg-config works.
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
if(NOT KAI_FUZZ)
  find_package(GTest CONFIG REQUIRED)
  find_package(benchmark CONFIG REQUIRED)
endif()
# The schema generator runs on Debian's python3 (with python3-yaml), never on a user's virtualenv.
find_program(KAI_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH REQUIRED)
