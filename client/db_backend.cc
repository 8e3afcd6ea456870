// DbBackend: Backend over a read-only storage::Reader (`--db PATH`), and ResolveSweep.
#include <charconv>

#include "absl/strings/str_cat.h"
#include "client/backend.h"
#include "common/status.h"
#include "storage/reader.h"

namespace sweep::client {
namespace {

class DbBackend final : public Backend {
 public:
  explicit DbBackend(std::unique_ptr<storage::Reader> reader) : reader_(std::move(reader)) {}
  absl::StatusOr<std::vector<SweepSummary>> ListSweeps() override { return reader_->ListSweeps(); }
  absl::StatusOr<SweepSummary> GetSweep(int64_t sweep_id) override {
    return reader_->GetSweep(sweep_id);
  }
  absl::StatusOr<std::vector<VerifiedPair>> Verification(int64_t verify_sweep_id) override {
    return reader_->Verification(verify_sweep_id);
  }
  absl::StatusOr<AdaptiveCellList> AdaptiveCells(int64_t sweep_id) override {
    AdaptiveCellList out;
    SWEEP_ASSIGN_OR_RETURN(out.cells, reader_->AdaptiveCells(sweep_id));
    return out;
  }
  absl::StatusOr<std::vector<JobRecord>> ListJobs(int64_t sweep_id,
                                                  std::optional<JobState> state) override {
    return reader_->ListJobs(sweep_id, state);
  }
  absl::StatusOr<std::vector<ResultGroup>> Results(const ResultsQuery& q) override {
    return reader_->Results(q);
  }
  absl::StatusOr<std::vector<CurveGroup>> Curves(const ResultsQuery& q) override {
    return reader_->Curves(q);
  }
  absl::StatusOr<std::vector<WorkerRecord>> ListWorkers() override {
    return reader_->ListWorkers();
  }
  absl::StatusOr<std::vector<CheckpointRecord>> ListCheckpoints(
      std::optional<int64_t> sweep_id) override {
    return reader_->ListCheckpoints(sweep_id);
  }
  absl::StatusOr<std::optional<CheckpointRecord>> GetCheckpointForJob(int64_t job_id) override {
    return reader_->GetCheckpointForJob(job_id);
  }

 private:
  std::unique_ptr<storage::Reader> reader_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Backend>> OpenDbBackend(const std::string& db_path) {
  absl::StatusOr<std::unique_ptr<storage::Reader>> reader = storage::Reader::Open(db_path);
  if (!reader.ok()) return reader.status();
  return std::unique_ptr<Backend>(std::make_unique<DbBackend>(*std::move(reader)));
}

absl::StatusOr<int64_t> ResolveSweep(Backend& backend, const std::string& id_or_name) {
  int64_t id = 0;
  const char* end = id_or_name.data() + id_or_name.size();
  auto [ptr, ec] = std::from_chars(id_or_name.data(), end, id);
  if (ec == std::errc() && ptr == end) return id;
  absl::StatusOr<std::vector<SweepSummary>> sweeps = backend.ListSweeps();
  if (!sweeps.ok()) return sweeps.status();
  for (auto it = sweeps->rbegin(); it != sweeps->rend(); ++it) {
    if (it->name == id_or_name) return it->sweep_id;
  }
  return absl::NotFoundError(absl::StrCat("sweep: no sweep with id or name \"", id_or_name, "\""));
}

}  // namespace sweep::client
