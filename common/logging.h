// Logging setup for binaries only (docs/design.md section 2.6): spdlog to stderr, levels from the
// environment (SPDLOG_LEVEL=debug). Libraries log through spdlog directly; numerics never logs.
#pragma once

#include <string_view>

namespace sweep {
void InitLogging(std::string_view level = "info");
}  // namespace sweep
