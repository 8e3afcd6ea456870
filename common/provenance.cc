#include "common/provenance.h"

#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "common/build_info.h"
#include "nlohmann/json.hpp"

namespace sweep {
namespace {

// The first "model name" of /proc/cpuinfo and the flags of interest from its "flags" line
// (x86; on other machines the fields stay empty).
void ReadCpuInfo(std::string& model, std::string& features) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  static const std::set<std::string> kInteresting = {
      "sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512dq", "avx512bw", "avx512vl",
      "avx512_vnni", "amx_tile", "asimd", "sve"};
  bool flags_seen = false;
  while (std::getline(in, line) && (model.empty() || !flags_seen)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = line.substr(0, line.find_first_of(" \t"));
    std::string value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.erase(0, 1);
    if (key == "model" && line.rfind("model name", 0) == 0 && model.empty()) model = value;
    if ((key == "flags" || key == "Features") && !flags_seen) {
      flags_seen = true;
      std::istringstream words(value);
      std::string w;
      while (words >> w) {
        if (!kInteresting.contains(w)) continue;
        if (!features.empty()) features.push_back(' ');
        features.append(w);
      }
    }
  }
}

std::string Host() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "";
  return name;
}

nlohmann::json MachineJson() {
  std::string cpu, features;
  ReadCpuInfo(cpu, features);
#if defined(__clang__)
  const std::string compiler = std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  const std::string compiler = std::string("gcc ") + __VERSION__;
#else
  const std::string compiler = "unknown";
#endif
  return nlohmann::json{
      {"build", BuildVersion()},
      {"host", Host()},
      {"cpu", cpu},
      {"cpu_features", features},
      {"compiler", compiler},
      {"flags", SWEEP_CXX_FLAGS},
      {"results_version", kResultsVersion},
      // docs/science.md section 5: the task streams and the initialisation stream.
      {"rng", "task: 8 x xoshiro256++ (StreamSeed); init: mt19937_64"},
  };
}

}  // namespace

const std::string& MachineProvenance() {
  static const std::string* kText = new std::string(MachineJson().dump());
  return *kText;
}

std::string JobProvenance(int threads) {
  nlohmann::json j = nlohmann::json::parse(MachineProvenance());
  j["threads"] = threads;
  return j.dump();
}

}  // namespace sweep
