// `sweep extend` (docs/design.md section 4.5): adds the cells of a new file that a sweep
// lacks, in one transaction, after checking that the file keeps every cell the sweep has.
#include <algorithm>
#include <map>
#include <set>
#include <unordered_set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status.h"
#include "nlohmann/json.hpp"
#include "storage/store.h"
#include "storage/store_internal.h"
#include "storage/transaction.h"

namespace sweep::storage {
namespace {

using json = nlohmann::json;

struct ExistingCell {
  std::string config_hash, config_json;
};

// The values each key takes over a set of canonical configs (seed included).
std::map<std::string, std::set<std::string>> ValuesByKey(const std::vector<std::string>& configs) {
  std::map<std::string, std::set<std::string>> out;
  for (const std::string& text : configs) {
    const json config = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!config.is_object()) continue;
    for (const auto& [key, value] : config.items()) out[key].insert(value.dump());
  }
  return out;
}

// Why `extension` does not keep the cells in `missing`: the keys whose values in the sweep
// the file no longer has, or one missing cell when every value is still there (an
// `exclude:` dropped it).
std::string MissingCellsReason(const std::vector<std::string>& missing,
                               const std::vector<PreparedJob>& extension) {
  std::vector<std::string> extension_configs;
  for (const PreparedJob& p : extension) extension_configs.push_back(p.config_json);
  const auto in_sweep = ValuesByKey(missing);
  const auto in_file = ValuesByKey(extension_configs);
  std::vector<std::string> keys;
  for (const auto& [key, values] : in_sweep) {
    auto it = in_file.find(key);
    std::vector<std::string> gone;
    for (const std::string& v : values) {
      if (it == in_file.end() || !it->second.contains(v)) gone.push_back(v);
    }
    if (!gone.empty()) keys.push_back(absl::StrCat(key, " ", absl::StrJoin(gone, ", ")));
  }
  if (!keys.empty()) {
    return absl::StrCat("the file has no cell with ", absl::StrJoin(keys, "; "));
  }
  return absl::StrCat("e.g. ", missing.front().substr(0, 300));
}

}  // namespace

absl::StatusOr<ExtendOutcome> Store::Extend(int64_t sweep_id, const std::string& spec_text,
                                            const std::vector<PreparedJob>& jobs, bool use_cache,
                                            TimePoint now) {
  SWEEP_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*conn_, Transaction::Mode::kWrite));
  SWEEP_ASSIGN_OR_RETURN(Statement * cells,
                         conn_->Cached("SELECT config_hash, config_json, priority FROM jobs"
                                       " WHERE sweep_id = ?"));
  cells->Bind(1, sweep_id);
  std::vector<ExistingCell> existing;
  int64_t last_position = -1;
  for (;;) {
    SWEEP_ASSIGN_OR_RETURN(bool row, cells->Step());
    if (!row) break;
    existing.push_back({cells->Text(0), cells->Text(1)});
    // Positions are stored as (sweep_id << 32) + position; 0 on rows from before.
    last_position = std::max(last_position, cells->Int(2) - (sweep_id << 32));
  }
  cells->Reset();
  if (existing.empty()) {
    SWEEP_ASSIGN_OR_RETURN(int64_t known, conn_->QueryInt(absl::StrCat(
                                              "SELECT count(*) FROM sweeps WHERE sweep_id = ",
                                              sweep_id)));
    if (known == 0) return absl::NotFoundError(absl::StrCat("sweep ", sweep_id, ": no such sweep"));
  }
  SWEEP_ASSIGN_OR_RETURN(int64_t adaptive,
                         conn_->QueryInt(absl::StrCat("SELECT count(*) FROM sweeps WHERE sweep_id = ",
                                                      sweep_id, " AND adaptive_seeds IS NOT NULL")));
  if (adaptive > 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "extend: sweep ", sweep_id, " has adaptive seeds (`seeds: {min, max, ci}`): the "
        "coordinator adds its seeds itself; submit a new sweep with the other cells (cells "
        "already computed come from the cache)"));
  }
  std::unordered_set<std::string> in_file;
  for (const PreparedJob& p : jobs) in_file.insert(p.config_hash);
  std::vector<std::string> missing;
  std::unordered_set<std::string> have;
  for (const ExistingCell& c : existing) {
    have.insert(c.config_hash);
    if (!in_file.contains(c.config_hash)) missing.push_back(c.config_json);
  }
  if (!missing.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "extend: the file drops or changes ", missing.size(), " of the ", existing.size(),
        " cells of sweep ", sweep_id, " (", MissingCellsReason(missing, jobs),
        "); extend only adds cells (more seeds, lengths, dimensions): keep `base` and "
        "every grid value, or submit a new sweep"));
  }
  std::vector<PreparedJob> added;
  for (const PreparedJob& p : jobs) {
    if (!have.contains(p.config_hash)) added.push_back(p);
  }
  // After every cell the sweep has, in the file's queue order (ties: file order).
  std::stable_sort(added.begin(), added.end(), [](const PreparedJob& a, const PreparedJob& b) {
    return a.queue_position < b.queue_position;
  });
  for (size_t i = 0; i < added.size(); ++i) {
    added[i].queue_position = std::max<int64_t>(last_position, 0) + 1 + int64_t(i);
  }
  ExtendOutcome out;
  out.added = static_cast<int64_t>(added.size());
  if (added.empty()) return out;  // nothing to write; the rollback is free
  SWEEP_ASSIGN_OR_RETURN(out.cached, InsertJobs(sweep_id, use_cache, added, now));
  // The file keeps every old cell and the new ones: it now describes the whole sweep. A
  // stopped or cancelled sweep runs again, as after `sweep retry`.
  SWEEP_ASSIGN_OR_RETURN(
      Statement * upd,
      conn_->Cached("UPDATE sweeps SET spec_text = ?, jobs_total = jobs_total + ?,"
                    " jobs_cached = jobs_cached + ?, cancel_requested = 0, stop_requested = 0"
                    " WHERE sweep_id = ?"));
  upd->Bind(1, spec_text).Bind(2, out.added).Bind(3, out.cached).Bind(4, sweep_id);
  SWEEP_RETURN_IF_ERROR(upd->Run());
  SWEEP_RETURN_IF_ERROR(internal::AddEvent(
      *conn_, now, sweep_id, std::nullopt, std::nullopt, "extended", "",
      absl::StrCat(out.added, " cells added (", out.cached, " from the cache)")));
  SWEEP_RETURN_IF_ERROR(txn.Commit());
  return out;
}

}  // namespace sweep::storage
