// Reader's private state, shared by reader.cc and reader_result.cc.
#pragma once

#include <memory>

#include "storage/reader.h"
#include "storage/sqlite.h"

namespace sweep::storage {

struct Reader::Impl {
  std::unique_ptr<Connection> conn;
};

}  // namespace sweep::storage
