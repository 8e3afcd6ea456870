// The `sweep` command line (see cli.h).
#include "client/cli.h"

#include <memory>
#include <optional>

#include <cmath>

#include "absl/strings/match.h"
#include "client/checkpoints.h"
#include "client/fit.h"
#include "client/plot.h"
#include "client/predict.h"
#include "client/rpc_backend.h"
#include "client/verify.h"
#include "common/limits.h"
#include "common/display_text.h"
#include "common/status.h"
#include "common/token_file.h"

namespace sweep::client {
namespace {

void AddQueryFlags(CLI::App* cmd, CliArgs& args, bool sweep_required) {
  auto* opt = cmd->add_option("SWEEP", args.sweep, "sweep id or name");
  if (sweep_required) opt->required();
  cmd->add_option("--db", args.db, "read this results file instead of asking the coordinator");
}

void AddResultFlags(CLI::App* cmd, CliArgs& args) {
  AddQueryFlags(cmd, args, true);
  cmd->add_option("--where", args.where, "key=value filter (repeatable)");
  cmd->add_option("--group-by", args.group_by, "comma-separated keys (default: all but seed)");
  cmd->add_option("--format", args.format, "table | csv | json")->capture_default_str();
}

// docs/checkpoints.md, "Using checkpoints".
void AddCheckpointCommands(CLI::App& app, CliArgs& args) {
  auto* list = app.add_subcommand("checkpoints", "trained-model checkpoints of a sweep (or all)");
  AddQueryFlags(list, args, false);
  list->add_option("--format", args.format, "table | csv | json")->capture_default_str();
  auto* exp = app.add_subcommand("export", "write a job's checkpoint to a .safetensors file");
  exp->add_option("JOB", args.job_id, "job id")->required();
  exp->add_option("--out", args.out, "output file (FILE.safetensors)")->required();
  exp->add_option("--db", args.db, "read this results file instead of asking the coordinator");
  auto* predict = app.add_subcommand("predict", "a checkpoint's predictions for prompts (local)");
  predict->add_option("CHECKPOINT", args.file, "FILE.safetensors")->required();
  predict->add_option("PROMPTS", args.prompts, "prompts JSON file")->required();
  predict->add_option("--format", args.format, "table | csv | json")->capture_default_str();
}

// docs/plots.md.
void AddPlotCommand(CLI::App& app, CliArgs& args) {
  auto* plot = app.add_subcommand("plot", "draw a sweep's curves or results with gnuplot");
  AddQueryFlags(plot, args, true);
  plot->add_option("--where", args.where, "key=value filter (repeatable)");
  plot->add_option("--out", args.out, "output file: FILE.png | FILE.svg | FILE.pdf")->required();
  plot->add_option("--x", args.plot_x, "n (curves against context length) or a job key")
      ->capture_default_str();
  plot->add_option("--y", args.plot_y, "nmse | mse")->capture_default_str();
  plot->add_option("--color", args.color, "one line per value of these keys (k1,k2)");
  plot->add_option("--facet", args.facet, "one panel per value of these keys (k1,k2)");
  plot->add_option("--band", args.band, "error bars: se | ci (95% Student t) | none")
      ->capture_default_str();
  plot->add_flag("--logx", args.logx, "logarithmic x axis (base 2)");
  plot->add_flag("--logy", args.logy, "logarithmic y axis");
  plot->add_option("--ylim", args.ylim, "fixed y axis ends LO:HI (either may be empty)");
  plot->add_option("--size", args.size, "WIDTHxHEIGHT in pixels")->capture_default_str();
  plot->add_option("--title", args.title, "figure title (default: the sweep and the metric)");
  plot->add_option("--script", args.script, "also save the gnuplot script, data inline");
}

absl::StatusOr<PlotArgs> MakePlotArgs(const CliArgs& args) {
  PlotArgs p{args.sweep, args.where, {}, args.out, args.script};
  PlotOptions& o = p.options;
  o.x = args.plot_x;
  o.y = args.plot_y;
  SWEEP_ASSIGN_OR_RETURN(o.color, ParseKeyList("--color", args.color));
  SWEEP_ASSIGN_OR_RETURN(o.facet, ParseKeyList("--facet", args.facet));
  SWEEP_ASSIGN_OR_RETURN(o.band, ParseBand(args.band));
  SWEEP_RETURN_IF_ERROR(ParseSize(args.size, &o.width, &o.height));
  o.logx = args.logx;
  o.logy = args.logy;
  if (!args.ylim.empty()) SWEEP_RETURN_IF_ERROR(ParseYLim(args.ylim, &o.ymin, &o.ymax));
  o.title = args.title;
  return p;
}

// The client token (--token-file, SWEEP_TOKEN, SWEEP_TOKEN_FILE, then
// ~/.config/sweep/client-token if it exists) and the TLS files.
absl::StatusOr<rpc::ChannelAuth> ClientAuth(const CliArgs& args) {
  rpc::ChannelAuth auth;
  SWEEP_ASSIGN_OR_RETURN(auth.token,
                         ResolveToken(args.token_file, "SWEEP_TOKEN", "SWEEP_TOKEN_FILE",
                                      DefaultTokenPath("client-token")));
  SWEEP_RETURN_IF_ERROR(rpc::LoadTlsFiles(args.tls_ca, args.tls_cert, args.tls_key, auth));
  return auth;
}

absl::StatusOr<std::unique_ptr<Backend>> MakeBackend(const CliArgs& args) {
  if (!args.db.empty()) return OpenDbBackend(args.db);
  SWEEP_ASSIGN_OR_RETURN(rpc::ChannelAuth auth, ClientAuth(args));
  return std::unique_ptr<Backend>(std::make_unique<RpcBackend>(args.coordinator, auth));
}

absl::Status Dispatch(const std::string& command, const CliArgs& args, std::ostream& out,
                      std::ostream& err) {
  SWEEP_ASSIGN_OR_RETURN(Format format, ParseFormat(args.format));
  if (command == "local") {
    LocalArgs local{args.file,           args.db.empty() ? "sweep.db" : args.db,
                    args.workers,        !args.no_cache,
                    format,              args.fail_fast,
                    args.allow_exec};
    return RunLocal(local, out, err);
  }
  if (command == "predict") return CmdPredict(args.file, args.prompts, format, out);
  if (absl::StartsWith(command, "launch")) {
    return RunLaunch(command, args.launch, args.coordinator, out, err);
  }
  if (command == "estimate") {
    return CmdEstimate({args.file, args.rates_file, args.calibrate, format}, out, err);
  }
  if (command == "verify" && !args.verify_show) {
    SWEEP_ASSIGN_OR_RETURN(rpc::ChannelAuth auth, ClientAuth(args));
    RpcBackend rpc(args.coordinator, auth);
    return CmdVerify(rpc, args.sweep, args.verify_sample, args.verify_seed, !args.no_wait, out,
                     err);
  }
  if (command == "submit" || command == "cancel" || command == "retry" || command == "pause" ||
      command == "resume" || command == "stop" || command == "extend") {
    SWEEP_ASSIGN_OR_RETURN(rpc::ChannelAuth auth, ClientAuth(args));
    RpcBackend rpc(args.coordinator, auth);
    if (command == "cancel") return CmdCancel(rpc, args.sweep, out);
    if (command == "retry") return CmdRetry(rpc, args.sweep, args.kinds, out);
    if (command == "extend") return CmdExtend(rpc, args.sweep, args.file, !args.no_cache, out);
    if (command != "submit") return CmdControl(rpc, args.sweep, command, out);
    return CmdSubmit(rpc, args.file, args.wait, !args.no_cache, args.fail_fast, out, err);
  }
  std::optional<PlotArgs> plot;
  if (command == "plot") {
    SWEEP_ASSIGN_OR_RETURN(plot, MakePlotArgs(args));  // flag errors before connecting
  }
  FitRange fit_range;
  if (command == "results" && args.fit) {
    SWEEP_ASSIGN_OR_RETURN(fit_range, ParseFitRange(args.fit_range));
    if (!(args.eps > 0) || !std::isfinite(args.eps)) {
      return absl::InvalidArgumentError("--eps: must be a finite number > 0");
    }
  }
  SWEEP_ASSIGN_OR_RETURN(std::unique_ptr<Backend> backend, MakeBackend(args));
  QueryArgs query{args.sweep, args.where, args.group_by, format};
  if (command == "status") return CmdStatus(*backend, args.sweep, args.wait, out, err);
  if (command == "jobs") return CmdJobs(*backend, args.sweep, args.state, format, out);
  if (command == "results" && args.fit) {
    return CmdFits(*backend, query, fit_range, args.eps, out);
  }
  if (command == "results") return CmdResults(*backend, query, out);
  if (command == "curves") return CmdCurves(*backend, query, out);
  if (command == "workers") return CmdWorkers(*backend, out);
  if (command == "checkpoints") return CmdCheckpoints(*backend, args.sweep, format, out);
  if (command == "export") return CmdExport(*backend, args.job_id, args.out, out);
  if (command == "plot") return CmdPlot(*backend, *plot, out);
  if (command == "verify") return CmdShowVerification(*backend, args.sweep, out);
  return absl::InvalidArgumentError("no command given (see --help)");
}

}  // namespace

void BuildCli(CLI::App& app, CliArgs& args, const char* env_coordinator) {
  if (env_coordinator != nullptr && *env_coordinator != '\0') args.coordinator = env_coordinator;
  app.require_subcommand(1);
  app.add_option("--coordinator", args.coordinator, "sweepd HOST:PORT (env SWEEP_COORDINATOR)")
      ->capture_default_str();
  app.add_option("--token-file", args.token_file,
                 "client token (env SWEEP_TOKEN or SWEEP_TOKEN_FILE; default "
                 "~/.config/sweep/client-token if it exists)");
  app.add_option("--tls-ca", args.tls_ca, "TLS: CA of the coordinator's certificate (PEM)");
  app.add_option("--tls-cert", args.tls_cert, "mutual TLS: this client's certificate (PEM)");
  app.add_option("--tls-key", args.tls_key, "mutual TLS: its private key (PEM)");
  auto* submit = app.add_subcommand("submit", "submit a sweep file to the coordinator");
  submit->add_option("FILE", args.file, "sweep file (YAML or JSON)")->required();
  submit->add_flag("--wait", args.wait, "wait until every job finished");
  submit->add_flag("--no-cache", args.no_cache, "rerun jobs that have a stored result");
  submit->add_flag("--fail-fast", args.fail_fast, "cancel the rest at the first failed job");
  auto* status = app.add_subcommand("status", "progress of one sweep, or of all");
  AddQueryFlags(status, args, false);
  status->add_flag("--wait", args.wait, "wait until every job finished");
  auto* jobs = app.add_subcommand("jobs", "jobs of a sweep, with errors of failed ones");
  AddQueryFlags(jobs, args, true);
  jobs->add_option("--state", args.state, "queued|running|succeeded|failed|cancelled");
  jobs->add_option("--format", args.format, "table | csv | json")->capture_default_str();
  auto* results = app.add_subcommand("results", "metrics aggregated over seeds");
  AddResultFlags(results, args);
  results->add_flag("--fit", args.fit,
                    "per group, the line of log nmse against log n (slope, intercept, their "
                    "standard errors) and n_at_eps, from the mean curve");
  results->add_option("--fit-range", args.fit_range, "context lengths the fit uses: LO:HI")
      ->capture_default_str();
  results->add_option("--eps", args.eps, "--fit: n_at_eps is the first n with nmse <= eps")
      ->capture_default_str();
  AddResultFlags(app.add_subcommand("curves", "error against context length"), args);
  auto* cancel = app.add_subcommand("cancel", "cancel a sweep");
  cancel->add_option("SWEEP", args.sweep, "sweep id or name")->required();
  const std::pair<const char*, const char*> lifecycle[] = {
      {"pause", "lease no more of a sweep's jobs (running ones go on) until resumed"},
      {"resume", "lease a paused sweep's jobs again"},
      {"stop", "cancel a sweep's queued jobs and let the running ones finish"}};
  for (const auto& [name, help] : lifecycle) {
    app.add_subcommand(name, help)->add_option("SWEEP", args.sweep, "sweep id or name")->required();
  }
  auto* extend = app.add_subcommand("extend", "add the cells of a file that a sweep lacks");
  extend->add_option("SWEEP", args.sweep, "sweep id or name")->required();
  extend->add_option("FILE", args.file, "the sweep file with more seeds, lengths or values")
      ->required();
  extend->add_flag("--no-cache", args.no_cache, "rerun cells that have a stored result");
  auto* verify = app.add_subcommand(
      "verify", "rerun a sample of a sweep's cells on other workers and compare bit for bit");
  verify->add_option("SWEEP", args.sweep, "sweep id or name (with --show: a verification sweep)")
      ->required();
  verify->add_option("--sample", args.verify_sample, "cells to rerun")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, limits::kMaxVerifySample));
  verify->add_option("--seed", args.verify_seed, "fixes which cells are sampled")
      ->capture_default_str();
  verify->add_flag("--no-wait", args.no_wait, "start the reruns and return");
  verify->add_flag("--show", args.verify_show, "print a verification sweep's comparison");
  verify->add_option("--db", args.db, "with --show: read this results file instead");
  auto* retry = app.add_subcommand("retry", "requeue a sweep's failed jobs (error, lost)");
  retry->add_option("SWEEP", args.sweep, "sweep id or name")->required();
  retry->add_option("--kind", args.kinds, "failure kinds to requeue: error, lost or both")
      ->capture_default_str();
  auto* workers = app.add_subcommand("workers", "workers known to the coordinator");
  workers->add_option("--db", args.db, "read this results file instead");
  AddCheckpointCommands(app, args);
  AddLaunchCommands(app, args.launch);
  AddPlotCommand(app, args);
  auto* estimate = app.add_subcommand("estimate", "jobs, CPU time and memory of a sweep file");
  estimate->add_option("FILE", args.file, "sweep file (YAML or JSON)");
  estimate->add_flag("--calibrate", args.calibrate,
                     "measure this machine's rates (a few CPU seconds) and store them");
  estimate->add_option("--rates", args.rates_file, "rates file read (and written by --calibrate)")
      ->capture_default_str();
  estimate->add_option("--format", args.format, "table | csv | json")->capture_default_str();
  auto* local = app.add_subcommand("local", "run a sweep here: in-process coordinator + workers");
  local->add_option("FILE", args.file, "sweep file (YAML or JSON)")->required();
  local->add_option("--db", args.db, "results file (default sweep.db)");
  local->add_option("--workers", args.workers, "worker slots (default: one per core)");
  local->add_flag("--no-cache", args.no_cache, "rerun jobs that have a stored result");
  local->add_flag("--fail-fast", args.fail_fast, "cancel the rest at the first failed job");
  local->add_option("--allow-exec", args.allow_exec,
                    "NAME=PATH: `model: exec` jobs named NAME run PATH (repeatable; docs/exec.md)");
  local->add_option("--format", args.format, "table | csv | json")->capture_default_str();
}

std::string ParsedCommand(const CLI::App& app) {
  for (const CLI::App* sub : app.get_subcommands()) {
    for (const CLI::App* leaf : sub->get_subcommands()) {
      return sub->get_name() + " " + leaf->get_name();
    }
    return sub->get_name();
  }
  return "";
}

int RunCli(const CLI::App& app, const CliArgs& args, std::ostream& out, std::ostream& err) {
  const std::string command = ParsedCommand(app);
  absl::Status s = Dispatch(command, args, out, err);
  if (s.ok()) return 0;
  err << "sweep " << command << ": " << EscapeForDisplay(std::string(s.message())) << "\n";
  return 1;
}

}  // namespace sweep::client
