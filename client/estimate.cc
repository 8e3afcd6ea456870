#include "client/estimate.h"

#include <time.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/format_internal.h"
#include "common/job_keys.h"
#include "common/spec/sweep_spec.h"
#include "common/status.h"
#include "worker/numerics/run_job.h"

namespace sweep::client {
namespace {

using internal::Json;

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

// Work units per CPU second of the job `partial` (resolved by the key registry), run
// `repeats` times (best of, against noise from other processes).
absl::StatusOr<double> MeasureRate(const nlohmann::json& partial, int repeats) {
  SWEEP_ASSIGN_OR_RETURN(const JobConfig config, ResolveJobConfig(partial));
  SWEEP_ASSIGN_OR_RETURN(const double work, numerics::EstimateJobFlops(config));
  double best = 1e300;
  for (int i = 0; i < repeats; ++i) {
    const double t0 = ThreadCpuSeconds();
    SWEEP_ASSIGN_OR_RETURN(const JobResult result, numerics::RunJob(config, {}));
    (void)result;
    best = std::min(best, ThreadCpuSeconds() - t0);
  }
  return work / std::max(best, 1e-6);
}

struct Shape {
  JobConfig config;  // seed 0
  int jobs = 0;
  std::map<std::string, std::string> key;  // canonical JSON values, seed left out
};

std::vector<Shape> Shapes(const std::vector<JobConfig>& jobs) {
  std::vector<Shape> shapes;
  for (JobConfig c : jobs) {
    c.seed = 0;
    auto it =
        std::find_if(shapes.begin(), shapes.end(), [&](const Shape& s) { return s.config == c; });
    if (it != shapes.end()) {
      ++it->jobs;
      continue;
    }
    Shape s{c, 1, {}};
    const nlohmann::json canonical = nlohmann::json::parse(CanonicalJson(c));
    for (auto kv = canonical.begin(); kv != canonical.end(); ++kv) {
      if (kv.key() != "seed") s.key[kv.key()] = kv.value().dump();
    }
    shapes.push_back(std::move(s));
  }
  // Only keys that differ between shapes (and the model) name a shape.
  std::set<std::string> varying{"model"};
  for (const Shape& s : shapes) {
    for (const auto& [k, v] : s.key) {
      for (const Shape& o : shapes) {
        auto f = o.key.find(k);
        if (f == o.key.end() || f->second != v) varying.insert(k);
      }
    }
  }
  for (Shape& s : shapes) {
    std::erase_if(s.key, [&](const auto& kv) { return !varying.contains(kv.first); });
  }
  return shapes;
}

std::string Seconds(double s) { return FormatDouble(s, 3); }
std::string Megabytes(double b) { return FormatDouble(b / 1e6, 3); }

}  // namespace

absl::StatusOr<numerics::CostRates> CalibrateRates() {
  numerics::CostRates rates;
  // The default net shapes (D 64, L 2, batch 64, N 40, d 16): the rate of real steps, not
  // of toy GEMMs. A handful of steps each; float64 on fewer.
  const nlohmann::json net = {{"d", 16}, {"r", 4}, {"N", 40}, {"steps", 8}, {"eval_tasks", 64}};
  nlohmann::json mamba = net, transformer = net;
  mamba["model"] = "mamba", transformer["model"] = "transformer";
  SWEEP_ASSIGN_OR_RETURN(const double rm, MeasureRate(mamba, 2));
  SWEEP_ASSIGN_OR_RETURN(const double rt, MeasureRate(transformer, 2));
  rates.net_f32 = 0.5 * (rm + rt);
  nlohmann::json f64 = mamba;
  f64["dtype"] = "float64", f64["steps"] = 4, f64["eval_tasks"] = 32;
  SWEEP_ASSIGN_OR_RETURN(rates.net_f64, MeasureRate(f64, 1));
  const nlohmann::json krr = {{"model", "krr"}, {"d", 16}, {"r", 4}, {"N", 96}, {"eval_tasks", 60}};
  SWEEP_ASSIGN_OR_RETURN(rates.krr, MeasureRate(krr, 2));
  const nlohmann::json theory = {{"model", "mamba-theory"},
                                 {"d", 16},
                                 {"r", 4},
                                 {"N", 128},
                                 {"K1", 40},
                                 {"T1", 128},
                                 {"T2", 1024},
                                 {"eval_tasks", 400}};
  SWEEP_ASSIGN_OR_RETURN(rates.theory, MeasureRate(theory, 2));
  rates.source = "calibrated here";
  return rates;
}

absl::Status WriteRates(const numerics::CostRates& rates, const std::string& path) {
  const Json j = {{"net_f32", rates.net_f32},
                  {"net_f64", rates.net_f64},
                  {"krr", rates.krr},
                  {"theory", rates.theory}};
  std::ofstream f(path);
  f << j.dump(2) << "\n";
  f.close();
  if (!f) return absl::UnavailableError(absl::StrCat("cannot write rates file ", path));
  return absl::OkStatus();
}

absl::StatusOr<numerics::CostRates> ReadRates(const std::string& path) {
  std::ifstream f(path);
  if (!f) return absl::NotFoundError(absl::StrCat("rates file ", path, " not found"));
  std::stringstream text;
  text << f.rdbuf();
  const nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return absl::InvalidArgumentError(absl::StrCat(path, ": not a JSON object"));
  numerics::CostRates rates;
  const std::pair<const char*, double*> fields[] = {{"net_f32", &rates.net_f32},
                                                    {"net_f64", &rates.net_f64},
                                                    {"krr", &rates.krr},
                                                    {"theory", &rates.theory}};
  for (const auto& [name, value] : fields) {
    if (!j.contains(name) || !j[name].is_number() || !(j[name].get<double>() > 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": ", name, " must be a positive number (units per CPU second)"));
    }
    *value = j[name].get<double>();
  }
  rates.source = path;
  return rates;
}

absl::StatusOr<std::string> FormatEstimate(const std::string& spec_file,
                                           const numerics::CostRates& rates, Format format) {
  SWEEP_ASSIGN_OR_RETURN(const spec::SweepSpec spec, spec::LoadSweepFile(spec_file));
  const std::vector<Shape> shapes = Shapes(spec.jobs);
  std::vector<std::map<std::string, std::string>> keys;
  for (const Shape& s : shapes) keys.push_back(s.key);
  std::string fixed;
  const std::vector<std::string> columns = internal::KeyColumns(keys, format, &fixed);
  double total_s = 0, peak_b = 0;
  int total_jobs = 0;
  internal::Rows rows;
  Json json_shapes = Json::array();
  for (const Shape& s : shapes) {
    SWEEP_ASSIGN_OR_RETURN(const double seconds, numerics::EstimateJobSeconds(s.config, rates));
    SWEEP_ASSIGN_OR_RETURN(const double flops, numerics::EstimateJobFlops(s.config));
    SWEEP_ASSIGN_OR_RETURN(const int64_t bytes, numerics::EstimateJobBytes(s.config));
    total_s += seconds * s.jobs, total_jobs += s.jobs;
    peak_b = std::max(peak_b, double(bytes));
    std::vector<std::string> row = internal::KeyCells(s.key, columns);
    const bool csv = format == Format::kCsv;
    row.insert(row.end(),
               {std::to_string(s.jobs), csv ? FormatDouble(flops, 17) : FormatDouble(flops, 3),
                csv ? FormatDouble(seconds, 17) : Seconds(seconds),
                csv ? FormatDouble(seconds * s.jobs, 17) : Seconds(seconds * s.jobs),
                csv ? std::to_string(bytes) : Megabytes(double(bytes))});
    rows.push_back(std::move(row));
    json_shapes.push_back({{"key", internal::KeyJson(s.key)},
                           {"jobs", s.jobs},
                           {"work", flops},
                           {"cpu_seconds_per_job", seconds},
                           {"cpu_seconds", seconds * s.jobs},
                           {"bytes_per_job", bytes}});
  }
  if (format == Format::kJson) {
    const Json j = {
        {"sweep", spec.name},
        {"rates", rates.source},
        {"shapes", json_shapes},
        {"total",
         {{"jobs", total_jobs}, {"cpu_seconds", total_s}, {"max_bytes_per_job", int64_t(peak_b)}}}};
    return j.dump(2) + "\n";
  }
  std::vector<std::string> header = columns;
  const bool csv = format == Format::kCsv;
  header.insert(header.end(), {"jobs", "work", csv ? "cpu_s_per_job" : "cpu s/job",
                               csv ? "cpu_s" : "cpu s", csv ? "bytes_per_job" : "MB/job"});
  if (csv) return internal::Render(format, header, rows);
  rows.push_back(std::vector<std::string>(columns.size(), ""));
  rows.back().front() = "total";
  rows.back().insert(rows.back().end(),
                     {std::to_string(total_jobs), "", "", Seconds(total_s), Megabytes(peak_b)});
  return absl::StrCat("sweep ", spec.name, ": ", total_jobs, " jobs, ", shapes.size(),
                      " shapes; rates: ", rates.source, "\n", fixed,
                      internal::Render(format, header, rows),
                      "cpu s: one thread; the sweep's wall time is about cpu s / workers. "
                      "MB/job: peak added to a worker (~",
                      numerics::kWorkerBaseBytes >> 20, " MB when idle).\n");
}

absl::Status CmdEstimate(const EstimateArgs& args, std::ostream& out, std::ostream& err) {
  numerics::CostRates rates = numerics::DefaultRates();
  if (args.calibrate) {
    err << "calibrating: small jobs of every model (a few CPU seconds)...\n";
    SWEEP_ASSIGN_OR_RETURN(rates, CalibrateRates());
    SWEEP_RETURN_IF_ERROR(WriteRates(rates, args.rates_file));
    rates.source = args.rates_file;
    err << "rates written to " << args.rates_file << ": mamba/transformer "
        << FormatDouble(rates.net_f32 / 1e9, 3) << " GFLOP/s (float64 "
        << FormatDouble(rates.net_f64 / 1e9, 3) << "), krr " << FormatDouble(rates.krr / 1e9, 3)
        << " GFLOP/s, mamba-theory " << FormatDouble(rates.theory / 1e9, 3) << "G example-dims/s\n";
  } else {
    absl::StatusOr<numerics::CostRates> stored = ReadRates(args.rates_file);
    if (stored.ok()) {
      rates = *stored;
    } else if (!absl::IsNotFound(stored.status())) {
      return stored.status();
    }
  }
  if (args.file.empty()) {
    if (args.calibrate) return absl::OkStatus();
    return absl::InvalidArgumentError("FILE: a sweep file is required (or --calibrate)");
  }
  SWEEP_ASSIGN_OR_RETURN(const std::string text, FormatEstimate(args.file, rates, args.format));
  out << text;
  return absl::OkStatus();
}

}  // namespace sweep::client
