// CheckSpecInput (see spec_property.h).
#include "tests/fuzz/spec_property.h"

#include "common/job_keys.h"
#include "common/spec/sweep_spec.h"
#include "common/status.h"

namespace sweep::fuzz {

Verdict CheckSpecInput(std::string_view input) {
  spec::SpecOptions options;
  options.max_jobs = 1000;  // keep each input cheap; the limits are tested elsewhere
  options.max_eval_entries = 100'000;
  auto spec = spec::ParseSweep(input, "fuzz.yaml", options);
  if (!spec.ok()) {
    SWEEP_CHECK(spec.status().code() == absl::StatusCode::kInvalidArgument);
    SWEEP_CHECK(!spec.status().message().empty());
    return Verdict::kRefused;
  }
  for (const JobConfig& job : spec->jobs) {
    auto again = ResolveJobConfig(nlohmann::json::parse(CanonicalJson(job)));
    SWEEP_CHECK(again.ok() && *again == job);
  }
  return Verdict::kAccepted;
}

}  // namespace sweep::fuzz
