#include "client/verify.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/commands.h"
#include "client/format.h"
#include "common/status.h"
#include "nlohmann/json.hpp"

namespace sweep::client {
namespace {

// Full precision: a difference in the last bit must show.
std::string Exact(double v) { return FormatDouble(v, 17); }

// The two provenance objects side by side, a `*` on rows that differ.
std::string ProvenanceTable(const std::string& a, const std::string& b) {
  std::map<std::string, std::pair<std::string, std::string>> rows;
  auto add = [&rows](const std::string& text, bool first) {
    const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) return;
    for (const auto& [k, v] : j.items()) {
      (first ? rows[k].first : rows[k].second) = v.is_string() ? v.get<std::string>() : v.dump();
    }
  };
  add(a, true);
  add(b, false);
  std::vector<std::vector<std::string>> table;
  for (const auto& [k, v] : rows) {
    table.push_back({v.first == v.second ? " " : "*", k, v.first, v.second});
  }
  if (table.empty()) return "  (no provenance recorded: results from before it was kept)\n";
  return RenderTable({"", "provenance", "original", "rerun"}, table);
}

}  // namespace

VerificationText FormatVerification(const std::vector<VerifiedPair>& pairs) {
  VerificationText out;
  for (const VerifiedPair& p : pairs) {
    const std::string head = absl::StrFormat("job %d (worker %s) vs rerun job %d", p.original_job_id,
                                             p.original_worker, p.rerun_job_id);
    if (p.rerun_state != JobState::kSucceeded) {
      ++out.unverified;
      absl::StrAppend(&out.text, head, ": not compared, the rerun is ",
                      std::string(JobStateName(p.rerun_state)), "\n");
      continue;
    }
    absl::StrAppend(&out.text, head, " (worker ", p.rerun_worker, "): ");
    if (p.diffs_total == 0) {
      absl::StrAppend(&out.text, "identical\n");
      continue;
    }
    ++out.differing;
    absl::StrAppend(&out.text, p.diffs_total, " metric", p.diffs_total == 1 ? "" : "s",
                    " differ\n");
    std::vector<std::vector<std::string>> rows;
    for (const MetricDiff& d : p.diffs) rows.push_back({d.metric, Exact(d.original), Exact(d.rerun)});
    absl::StrAppend(&out.text, RenderTable({"metric", "original", "rerun"}, rows));
    if (p.diffs_total > static_cast<int64_t>(p.diffs.size())) {
      absl::StrAppend(&out.text, "(", p.diffs_total - p.diffs.size(), " more not listed)\n");
    }
    absl::StrAppend(&out.text, ProvenanceTable(p.original_provenance, p.rerun_provenance));
  }
  absl::StrAppend(&out.text, pairs.size(), " cells: ",
                  pairs.size() - out.differing - out.unverified, " identical, ", out.differing,
                  " differ, ", out.unverified, " not compared\n");
  return out;
}

absl::Status CmdShowVerification(Backend& backend, const std::string& verify_sweep,
                                 std::ostream& out) {
  SWEEP_ASSIGN_OR_RETURN(int64_t id, ResolveSweep(backend, verify_sweep));
  SWEEP_ASSIGN_OR_RETURN(std::vector<VerifiedPair> pairs, backend.Verification(id));
  const VerificationText v = FormatVerification(pairs);
  out << v.text;
  if (v.differing > 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("verification sweep ", id, ": ", v.differing, " cells differ bit for bit"));
  }
  if (v.unverified > 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "verification sweep ", id, ": ", v.unverified, " cells could not be compared"));
  }
  return absl::OkStatus();
}

absl::Status CmdVerify(RpcBackend& rpc, const std::string& sweep, int64_t sample, uint64_t seed,
                       bool wait, std::ostream& out, std::ostream& err) {
  SWEEP_ASSIGN_OR_RETURN(int64_t id, ResolveSweep(rpc, sweep));
  SWEEP_ASSIGN_OR_RETURN(auto started, rpc.Verify(id, sample, seed));
  const auto [verify_id, cells] = started;
  out << "sweep " << id << ": " << cells << " cell" << (cells == 1 ? "" : "s")
      << " rerun on other workers as sweep " << verify_id << "\n";
  if (!wait) return absl::OkStatus();
  SWEEP_RETURN_IF_ERROR(
      WaitForSweep(rpc, verify_id, err, std::chrono::milliseconds(500)).status());
  return CmdShowVerification(rpc, std::to_string(verify_id), out);
}

}  // namespace sweep::client
