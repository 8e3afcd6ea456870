#include "storage/report_digest.h"

#include <openssl/sha.h>

#include <bit>
#include <cstdint>
#include <cstdio>

#include "absl/strings/str_cat.h"

namespace sweep::storage {
namespace {

// Appends fields with explicit separators and lengths so no two reports serialise alike.
class Serializer {
 public:
  void Str(const std::string& s) { absl::StrAppend(&out_, s.size(), ":", s, ";"); }
  void Int(int64_t v) { absl::StrAppend(&out_, v, ";"); }
  void Real(double v) { absl::StrAppend(&out_, std::bit_cast<uint64_t>(v), ";"); }
  const std::string& out() const { return out_; }

 private:
  std::string out_;
};

std::string Hex(const unsigned char* bytes, size_t n) {
  std::string hex(2 * n, '0');
  for (size_t i = 0; i < n; ++i) std::snprintf(&hex[2 * i], 3, "%02x", bytes[i]);
  return hex;
}

}  // namespace

std::string ReportDigest(const JobReport& report) {
  Serializer s;
  s.Int(report.ok ? 1 : 0);
  s.Str(report.error);
  s.Str(report.worker_id);
  s.Str(report.build_version);
  s.Real(report.wall_seconds);
  const JobResult& r = report.result;
  s.Real(r.mse);
  s.Real(r.nmse);
  s.Int(r.n_at_eps.has_value() ? 1 : 0);
  s.Int(r.n_at_eps.value_or(0));
  s.Real(r.ey2);
  s.Int(r.ie);
  s.Int(r.ge);
  s.Int(static_cast<int64_t>(r.curve.size()));
  for (const EvalPoint& p : r.curve) {
    s.Int(p.n);
    s.Real(p.mse);
    s.Real(p.se);
    s.Real(p.nmse);
  }
  s.Int(static_cast<int64_t>(r.loss_curve.size()));
  for (const LossPoint& p : r.loss_curve) {
    s.Int(p.step);
    s.Real(p.loss);
  }
  s.Real(r.train_seconds);
  s.Real(r.eval_seconds);
  s.Str(r.divergence);
  // Appended only when set, so reports without a checkpoint keep the digests they had
  // before schema version 2 (a replay across an upgrade still matches).
  if (report.checkpoint_use != CheckpointUse::kNone || !report.checkpoint_sha256.empty()) {
    s.Str(CheckpointUseName(report.checkpoint_use));
    s.Str(report.checkpoint_sha256);
  }
  return Sha256Hex(s.out());
}

std::string Sha256Hex(std::string_view bytes) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), md);
  return Hex(md, sizeof(md));
}

}  // namespace sweep::storage
