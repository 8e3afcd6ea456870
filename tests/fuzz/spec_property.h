// The property every sweep-file input must have, shared by the libFuzzer target
// (fuzz_spec_parse.cc, clang) and the mutation driver that runs with g++
// (fuzz_spec_mutate.cc): ParseSweep never crashes or throws, refuses only with
// INVALID_ARGUMENT, and every job it accepts survives the canonical-JSON round trip
// unchanged. A broken property aborts (SWEEP_CHECK), so it cannot pass unnoticed.
#pragma once

#include <string_view>

namespace sweep::fuzz {

enum class Verdict { kAccepted, kRefused };

Verdict CheckSpecInput(std::string_view input);

}  // namespace sweep::fuzz
