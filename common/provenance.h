// Provenance (docs/design.md section 4.15): what a result records about the machine and
// build that computed it, so that `sweep verify` can show two workers side by side when
// their floats differ. A JSON object stored in results.provenance.
#pragma once

#include <string>

namespace sweep {

// The results version of docs/science.md section 5 ("Results versions"): it changes when
// a build computes different floats for the same config and seed.
inline constexpr int kResultsVersion = 4;

// This process's machine and build, as a JSON object (computed once): build (git
// describe), host, cpu (model name), cpu_features (the SIMD flags the numerics can use),
// compiler, flags (CMAKE_CXX_FLAGS and the build type's), results_version, rng.
const std::string& MachineProvenance();

// MachineProvenance() plus the job's thread count.
std::string JobProvenance(int threads);

}  // namespace sweep
