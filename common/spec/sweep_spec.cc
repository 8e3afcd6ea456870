#include "common/spec/sweep_spec.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/spec/expand.h"
#include "common/spec/sweep_doc.h"
#include "common/spec/yaml_adapter.h"
#include "common/status.h"

namespace sweep::spec {

absl::StatusOr<SweepSpec> ParseSweep(std::string_view text, std::string_view source_name,
                                     const SpecOptions& options) {
  if (options.max_jobs < 1 || options.max_eval_entries < 1) {
    return absl::InvalidArgumentError("SpecOptions: max_jobs and max_eval_entries must be >= 1");
  }
  SWEEP_ASSIGN_OR_RETURN(SpecNode root, ParseYamlTree(text, source_name));
  SWEEP_ASSIGN_OR_RETURN(SweepDoc doc, BuildSweepDoc(root, source_name));
  SWEEP_ASSIGN_OR_RETURN(
      std::vector<JobConfig> jobs,
      ExpandSweep(doc, source_name, {options.max_jobs, options.max_eval_entries}));
  if (jobs.empty())
    return PositionError(source_name, {}, "exclude: every job of the grid is excluded");
  SweepSpec spec;
  spec.name = std::move(doc.name);
  spec.jobs = std::move(jobs);
  for (const Axis& axis : doc.axes) spec.axes.push_back(axis.key);
  spec.max_attempts = doc.max_attempts;
  spec.adaptive_seeds = doc.adaptive_seeds;
  spec.text = std::string(text);
  spec.source_name = std::string(source_name);
  return spec;
}

absl::StatusOr<SweepSpec> LoadSweepFile(const std::string& path, const SpecOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("sweep file ", path, ": cannot be read"));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::NotFoundError(absl::StrCat("sweep file ", path, ": read error"));
  return ParseSweep(text.str(), std::filesystem::path(path).filename().string(), options);
}

}  // namespace sweep::spec
