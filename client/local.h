// `sweep local FILE`: the embedded default. Starts the coordinator service in-process on
// 127.0.0.1:0 over a SQLite file, K worker slots in-process (the same worker library as
// sweep-worker), submits the file, shows progress on stderr and prints the results table
// on stdout. The same code paths as a cluster, with no servers to start.
#pragma once

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "client/format.h"

namespace sweep::client {

struct LocalArgs {
  std::string file;
  std::string db = "sweep.db";  // kept afterwards: query it with `sweep results --db`
  int workers = 0;              // 0: one per hardware thread
  bool use_cache = true;
  Format format = Format::kTable;
  bool fail_fast = false;  // the first failed job cancels the rest
  // NAME=PATH entries: the programs `exec` jobs may run (docs/exec.md). A sweep with an
  // exec name not among them is refused before anything is stored: its jobs would wait
  // for ever.
  std::vector<std::string> allow_exec = {};
};

// OK when every job succeeded; FAILED_PRECONDITION when some failed (the table is still
// printed); INVALID_ARGUMENT for a bad sweep file.
absl::Status RunLocal(const LocalArgs& args, std::ostream& out, std::ostream& err);

}  // namespace sweep::client
