#include "common/build_info.h"

namespace sweep {
const char* BuildVersion() { return SWEEP_GIT_VERSION; }
}  // namespace sweep
