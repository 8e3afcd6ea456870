// libFuzzer target for the sweep-file parser (clang only; with g++ use the mutation
// driver, fuzz_spec_mutate.cc). The properties checked on every input are in
// spec_property.h.
//   cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DSWEEP_FUZZ=ON \
//         -DSWEEP_DIRS="common;tests" -DSWEEP_TEST_DIRS="fuzz"
//   cmake --build build-fuzz --target fuzz_spec_parse && \
//   build-fuzz/tests/fuzz/fuzz_spec_parse -max_total_time=60 tests/fuzz/corpus
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tests/fuzz/spec_property.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sweep::fuzz::CheckSpecInput(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
