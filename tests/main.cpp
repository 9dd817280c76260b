// The Catch2 main shared by every test file (Catch2 2.13, v2 API).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
