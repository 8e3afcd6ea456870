// Checkpoint listing and export (see checkpoints.h).
#include "client/checkpoints.h"

#include <cstdio>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "client/format_internal.h"
#include "common/status.h"

namespace sweep::client {
namespace {

std::string Iso(TimePoint t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromChrono(t), absl::UTCTimeZone());
}

std::string JobCell(const CheckpointRecord& c) { return c.job_id ? std::to_string(*c.job_id) : ""; }

}  // namespace

std::string FormatCheckpoints(const std::vector<CheckpointRecord>& checkpoints, Format format) {
  if (format == Format::kJson) {
    internal::Json out = internal::Json::array();
    for (const auto& c : checkpoints) {
      internal::Json job = c.job_id ? internal::Json(*c.job_id) : internal::Json(nullptr);
      out.push_back({{"training_hash", c.training_hash},
                     {"model", c.model},
                     {"size_bytes", c.size_bytes},
                     {"job_id", job},
                     {"sha256", c.sha256},
                     {"created_at", Iso(c.created_at)}});
    }
    return out.dump(2) + "\n";
  }
  internal::Rows rows;
  for (const auto& c : checkpoints) {
    rows.push_back({c.training_hash, c.model, std::to_string(c.size_bytes), JobCell(c), c.sha256,
                    Iso(c.created_at)});
  }
  if (format == Format::kTable) {  // people need the key and the job, not the sha256
    for (auto& r : rows) r.erase(r.begin() + 4);
    return RenderTable({"training_hash", "model", "size_bytes", "job_id", "created_at"}, rows);
  }
  return internal::Render(
      format, {"training_hash", "model", "size_bytes", "job_id", "sha256", "created_at"}, rows);
}

absl::Status CmdCheckpoints(Backend& backend, const std::string& sweep, Format format,
                            std::ostream& out) {
  std::optional<int64_t> sweep_id;
  if (!sweep.empty()) {
    SWEEP_ASSIGN_OR_RETURN(sweep_id, ResolveSweep(backend, sweep));
  }
  SWEEP_ASSIGN_OR_RETURN(const std::vector<CheckpointRecord> list,
                         backend.ListCheckpoints(sweep_id));
  out << FormatCheckpoints(list, format);
  return absl::OkStatus();
}

absl::Status CmdExport(Backend& backend, int64_t job_id, const std::string& out_file,
                       std::ostream& out) {
  if (out_file.empty()) return absl::InvalidArgumentError("--out: required");
  SWEEP_ASSIGN_OR_RETURN(const std::optional<CheckpointRecord> c,
                         backend.GetCheckpointForJob(job_id));
  if (!c.has_value()) {
    return absl::NotFoundError(absl::StrCat(
        "job ", job_id, ": no checkpoint stored (only trained mamba/transformer jobs have one)"));
  }
  const std::string tmp = out_file + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f.write(c->bytes.data(), static_cast<std::streamsize>(c->bytes.size()));
    f.close();
    if (!f) {
      std::remove(tmp.c_str());
      return absl::PermissionDeniedError(absl::StrCat("--out: cannot write ", out_file));
    }
  }
  if (std::rename(tmp.c_str(), out_file.c_str()) != 0) {
    std::remove(tmp.c_str());
    return absl::PermissionDeniedError(absl::StrCat("--out: cannot rename to ", out_file));
  }
  out << "job " << job_id << ": " << c->model << " checkpoint " << c->training_hash << " ("
      << c->bytes.size() << " bytes) written to " << out_file << "\n";
  return absl::OkStatus();
}

}  // namespace sweep::client
