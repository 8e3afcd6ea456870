// sweep: the client. Parses the command line (cli.h) and runs one subcommand; tables,
// csv and json go to stdout, progress and logs to stderr.
#include <cstdlib>
#include <iostream>

#include "client/cli.h"
#include "common/logging.h"

int main(int argc, char** argv) {
  CLI::App app{"sweep: submit, watch and query in-context-learning sweeps"};
  sweep::client::CliArgs args;
  sweep::client::BuildCli(app, args, std::getenv("SWEEP_COORDINATOR"));
  CLI11_PARSE(app, argc, argv);
  // Progress is printed by the commands; library logs only when something is wrong.
  sweep::InitLogging("warn");
  return sweep::client::RunCli(app, args, std::cout, std::cerr);
}
