// libFuzzer target for the sweep-file parser. Properties checked on every input:
// ParseSweep never crashes or throws, refuses only with INVALID_ARGUMENT, and every job
// it accepts survives the canonical-JSON round trip unchanged.
//   cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DSWEEP_FUZZ=ON \
//         -DSWEEP_DIRS="common;tests" -DSWEEP_TEST_DIRS="fuzz"
//   cmake --build build-fuzz --target fuzz_spec_parse && \
//   build-fuzz/tests/fuzz/fuzz_spec_parse -max_total_time=60 tests/fuzz/corpus
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/job_keys.h"
#include "common/spec/sweep_spec.h"
#include "common/status.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sweep::spec::SpecOptions options;
  options.max_jobs = 1000;  // keep each input cheap; the limits are tested elsewhere
  options.max_eval_entries = 100'000;
  auto spec = sweep::spec::ParseSweep(std::string_view(reinterpret_cast<const char*>(data), size),
                                      "fuzz.yaml", options);
  if (!spec.ok()) {
    SWEEP_CHECK(spec.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  for (const sweep::JobConfig& job : spec->jobs) {
    auto again = sweep::ResolveJobConfig(nlohmann::json::parse(sweep::CanonicalJson(job)));
    SWEEP_CHECK(again.ok() && *again == job);
  }
  return 0;
}
