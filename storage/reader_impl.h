// Reader's private state, shared by reader.cc and reader_result.cc.
#pragma once

#include <memory>

#include "storage/reader.h"
#include "storage/sqlite.h"

namespace sweep::storage {

struct Reader::Impl {
  std::unique_ptr<Connection> conn;
  int schema_version = 0;  // an older file lacks the later tables (read as empty)
};

}  // namespace sweep::storage
