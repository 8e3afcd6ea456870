// Adaptive seeds, the writer's half (docs/design.md section 4.14): after a job of such a
// sweep ends (in the report's own transaction) and at submit (cells the cache filled), the
// cells that need more seeds get them, so that the sweep never looks finished while a
// cell still has to grow, and a crash can never leave a cell judged but not grown.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/job_keys.h"
#include "common/status.h"
#include "nlohmann/json.hpp"
#include "storage/adaptive_cells.h"
#include "storage/results_query.h"
#include "storage/store.h"
#include "storage/store_internal.h"

namespace sweep::storage {
namespace {

struct AdaptiveSweep {
  std::optional<AdaptiveSeeds> settings;  // nullopt: fixed seeds
  bool use_cache = true;
  bool ending = false;  // cancel or stop requested: no new seeds
  int64_t last_position = -1;
};

absl::StatusOr<AdaptiveSweep> LoadAdaptiveSweep(Connection& conn, int64_t sweep_id) {
  SWEEP_ASSIGN_OR_RETURN(
      Statement * st,
      conn.Cached("SELECT adaptive_seeds, use_cache, cancel_requested OR stop_requested,"
                  " (SELECT max(priority) FROM jobs WHERE sweep_id = ?1)"
                  " FROM sweeps WHERE sweep_id = ?1"));
  st->Bind(1, sweep_id);
  SWEEP_ASSIGN_OR_RETURN(bool found, st->Step());
  if (!found) {
    st->Reset();
    return absl::NotFoundError(absl::StrCat("sweep ", sweep_id, ": no such sweep"));
  }
  AdaptiveSweep out;
  const bool adaptive = !st->IsNull(0);
  const std::string text = adaptive ? st->Text(0) : "";
  out.use_cache = st->Int(1) != 0;
  out.ending = st->Int(2) != 0;
  // Positions are stored as (sweep_id << 32) + position.
  if (!st->IsNull(3)) out.last_position = st->Int(3) - (sweep_id << 32);
  st->Reset();
  if (adaptive) {
    absl::StatusOr<AdaptiveSeeds> s = ParseAdaptiveSeedsJson(text);
    if (!s.ok()) {
      return absl::DataLossError(absl::StrCat("sweep ", sweep_id, ": ", s.status().message()));
    }
    out.settings = *s;
  }
  return out;
}

// The jobs of `count` new seeds of `cell` from `first_seed` on.
absl::StatusOr<std::vector<PreparedJob>> NewSeedJobs(const std::string& cell, int64_t first_seed,
                                                     int64_t count, int64_t first_position) {
  nlohmann::json config = nlohmann::json::parse(cell, nullptr, /*allow_exceptions=*/false);
  if (!config.is_object()) return absl::DataLossError(absl::StrCat("cell: not a config: ", cell));
  std::vector<PreparedJob> jobs;
  for (int64_t i = 0; i < count; ++i) {
    config["seed"] = first_seed + i;
    SWEEP_ASSIGN_OR_RETURN(JobConfig resolved, ResolveJobConfig(config));
    jobs.push_back(PrepareJob(resolved));
    jobs.back().queue_position = first_position + i;
  }
  return jobs;
}

}  // namespace

absl::StatusOr<int64_t> Store::GrowAdaptiveCells(int64_t sweep_id,
                                                 const std::optional<std::string>& only_cell,
                                                 TimePoint now) {
  SWEEP_ASSIGN_OR_RETURN(AdaptiveSweep sweep, LoadAdaptiveSweep(*conn_, sweep_id));
  if (!sweep.settings || sweep.ending) return 0;
  int64_t added_total = 0;
  // A round adds seeds to the cells that need them; a cell whose new seeds all came from
  // the cache has ended again at once and is judged again. Each round adds at least one
  // seed per such cell and no cell passes `max`, so the loop ends.
  std::optional<std::string> cell_filter = only_cell;
  for (;;) {
    SWEEP_ASSIGN_OR_RETURN(std::vector<CellJudgement> cells,
                           JudgeCells(*conn_, sweep_id, *sweep.settings, false, cell_filter));
    int64_t added_round = 0, cached_round = 0;
    for (const CellJudgement& c : cells) {
      if (c.add == 0) continue;
      SWEEP_ASSIGN_OR_RETURN(
          std::vector<PreparedJob> jobs,
          NewSeedJobs(c.cell.cell, c.next_seed, c.add, std::max<int64_t>(sweep.last_position, 0) + 1));
      SWEEP_ASSIGN_OR_RETURN(int64_t cached, InsertJobs(sweep_id, sweep.use_cache, jobs, now));
      sweep.last_position = std::max<int64_t>(sweep.last_position, 0) + c.add;
      added_round += c.add;
      cached_round += cached;
      SWEEP_RETURN_IF_ERROR(internal::AddEvent(
          *conn_, now, sweep_id, std::nullopt, std::nullopt, "seeds_added", "",
          absl::StrCat(c.add, " seeds (", c.next_seed, "..", c.next_seed + c.add - 1,
                       ") for a cell with ", c.cell.values, " values, ",
                       sweep.settings->metric, " half-width ", c.cell.half_width, " > ",
                       sweep.settings->ci, "; ", cached, " from the cache: ",
                       c.cell.cell.substr(0, 300))));
    }
    if (added_round == 0) break;
    SWEEP_ASSIGN_OR_RETURN(
        Statement * upd,
        conn_->Cached("UPDATE sweeps SET jobs_total = jobs_total + ?, jobs_cached = jobs_cached"
                      " + ? WHERE sweep_id = ?"));
    upd->Bind(1, added_round).Bind(2, cached_round).Bind(3, sweep_id);
    SWEEP_RETURN_IF_ERROR(upd->Run());
    added_total += added_round;
    if (cached_round == 0) break;
  }
  return added_total;
}

absl::StatusOr<int64_t> Store::GrowCellOfJob(int64_t job_id, int64_t sweep_id, TimePoint now) {
  SWEEP_ASSIGN_OR_RETURN(Statement * st,
                         conn_->Cached("SELECT config_json FROM jobs WHERE job_id = ?"));
  st->Bind(1, job_id);
  SWEEP_ASSIGN_OR_RETURN(bool found, st->Step());
  if (!found) {
    st->Reset();
    return absl::NotFoundError(absl::StrCat("job ", job_id, ": no such job"));
  }
  const std::string cell = StripSeed(st->Text(0));
  st->Reset();
  return GrowAdaptiveCells(sweep_id, cell, now);
}

}  // namespace sweep::storage
