// The build version every result records (git describe at configure time).
#pragma once

namespace sweep {
const char* BuildVersion();
}  // namespace sweep
