#include "common/logging.h"

#include <string>

#include "spdlog/cfg/env.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace sweep {

void InitLogging(std::string_view level) {
  auto logger = spdlog::stderr_color_mt("sweep");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(std::string(level)));
  spdlog::cfg::load_env_levels();
}

}  // namespace sweep
