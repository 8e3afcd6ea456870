// Runs the `sweep` command line in-process (BuildCli + RunCli), as a user would type it,
// for the client tests: exit code, stdout and stderr.
#pragma once

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "client/cli.h"

namespace sweep::client {

struct CliRun {
  int code = 0;
  std::string out, err;
};

// argv without the program name, e.g. {"results", "1", "--db", "x.db"}.
inline CliRun RunSweepCli(std::vector<std::string> argv) {
  CLI::App app;
  CliArgs args;
  BuildCli(app, args, nullptr);
  std::reverse(argv.begin(), argv.end());  // CLI11 parses a reversed vector
  app.parse(argv);
  std::ostringstream out, err;
  CliRun r;
  r.code = RunCli(app, args, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

}  // namespace sweep::client
