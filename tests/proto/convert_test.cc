// Round trips FromProto(ToProto(x)) == x for every wire type (docs/design.md section 1.3),
// with every field set to a distinct value so that a field dropped in either direction fails.
#include "proto/convert.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace sweep::wire {
namespace {

JobResult FullResult() {
  JobResult r;
  r.mse = 0.25;
  r.nmse = std::numeric_limits<double>::quiet_NaN();
  r.n_at_eps = 48;
  r.ey2 = std::numeric_limits<double>::infinity();
  r.ie = 2;
  r.ge = 1;
  r.curve = {{8, 0.5, 0.01, 0.9}, {16, 0.3, 0.02, -std::numeric_limits<double>::infinity()}};
  r.loss_curve = {{0, 1.5}, {50, 0.75}};
  r.train_seconds = 3.5;
  r.eval_seconds = 0.125;
  r.divergence = "diverged at step 812: loss nan";
  return r;
}

// operator== on doubles fails for NaN, so compare NaN by kind.
void ExpectSameResult(const JobResult& a, const JobResult& b) {
  EXPECT_EQ(a.mse, b.mse);
  EXPECT_TRUE(std::isnan(b.nmse));
  EXPECT_EQ(a.n_at_eps, b.n_at_eps);
  EXPECT_EQ(a.ey2, b.ey2);
  EXPECT_EQ(a.ie, b.ie);
  EXPECT_EQ(a.ge, b.ge);
  EXPECT_EQ(a.curve, b.curve);
  EXPECT_EQ(a.loss_curve, b.loss_curve);
  EXPECT_EQ(a.train_seconds, b.train_seconds);
  EXPECT_EQ(a.eval_seconds, b.eval_seconds);
  EXPECT_EQ(a.divergence, b.divergence);
}

TEST(ConvertTest, JobResultRoundTripKeepsNaNAndInfinities) {
  const JobResult r = FullResult();
  ExpectSameResult(r, FromProto(ToProto(r)));
}

TEST(ConvertTest, JobResultWithoutNAtEpsStaysEmpty) {
  JobResult r = FullResult();
  r.nmse = 1;
  r.n_at_eps.reset();
  EXPECT_EQ(FromProto(ToProto(r)), r);
}

TEST(ConvertTest, JobReportRoundTrip) {
  JobReport r{false, "r: 12 > d = 8",        FullResult(), "w-1", "abc123",
              12.5,  CheckpointUse::kReused, "feed"};
  const JobReport back = FromProto(ToProto(r));
  EXPECT_EQ(back.ok, r.ok);
  EXPECT_EQ(back.error, r.error);
  ExpectSameResult(r.result, back.result);
  EXPECT_EQ(back.worker_id, r.worker_id);
  EXPECT_EQ(back.build_version, r.build_version);
  EXPECT_EQ(back.wall_seconds, r.wall_seconds);
  EXPECT_EQ(back.checkpoint_use, CheckpointUse::kReused);
  EXPECT_EQ(back.checkpoint_sha256, "feed");
}

TEST(ConvertTest, LeaseRoundTrip) {
  sweep::Lease l{7, 3, 2, R"({"d":8})", FromUnixMillis(1'700'000'123'456), "th", true};
  const sweep::Lease back = FromProto(ToProto(l));
  EXPECT_EQ(back.job_id, 7);
  EXPECT_EQ(back.sweep_id, 3);
  EXPECT_EQ(back.attempt, 2);
  EXPECT_EQ(back.config_json, l.config_json);
  EXPECT_EQ(back.expires_at, l.expires_at);
  EXPECT_EQ(back.training_hash, "th");
  EXPECT_TRUE(back.checkpoint_available);
}

TEST(ConvertTest, SweepSummaryRoundTripWithAndWithoutFinishTimes) {
  SweepSummary s;
  s.sweep_id = 4;
  s.name = "tiny";
  s.created_at = FromUnixMillis(1000);
  s.cancel_requested = true;
  s.total = 10, s.queued = 1, s.running = 2, s.succeeded = 3, s.failed = 4, s.cancelled = 5;
  s.cached = 6;
  s.first_finished_at = FromUnixMillis(2000);
  s.last_finished_at = FromUnixMillis(3000);
  s.paused = true;
  s.fail_fast = true;
  s.first_failed_job_id = 7;
  s.first_failure = FailureKind::kDiverged;
  s.first_failure_error = "loss is NaN at step 12";
  SweepSummary back = FromProto(ToProto(s));
  EXPECT_TRUE(back.paused);
  EXPECT_FALSE(back.stop_requested);
  EXPECT_TRUE(back.fail_fast);
  EXPECT_EQ(back.first_failed_job_id, std::optional<int64_t>(7));
  EXPECT_EQ(back.first_failure, FailureKind::kDiverged);
  EXPECT_EQ(back.first_failure_error, "loss is NaN at step 12");
  EXPECT_EQ(back.sweep_id, 4);
  EXPECT_EQ(back.name, "tiny");
  EXPECT_EQ(back.created_at, s.created_at);
  EXPECT_TRUE(back.cancel_requested);
  EXPECT_EQ(std::vector<int64_t>({back.total, back.queued, back.running, back.succeeded,
                                  back.failed, back.cancelled, back.cached}),
            std::vector<int64_t>({10, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(back.first_finished_at, s.first_finished_at);
  EXPECT_EQ(back.last_finished_at, s.last_finished_at);
  s.first_finished_at.reset();
  s.last_finished_at.reset();
  s.first_failed_job_id.reset();
  back = FromProto(ToProto(s));
  EXPECT_FALSE(back.first_failed_job_id.has_value());
  EXPECT_FALSE(back.first_finished_at.has_value());
  EXPECT_FALSE(back.last_finished_at.has_value());
}

TEST(ConvertTest, JobRecordRoundTrip) {
  JobRecord j{11,
              4,
              JobState::kFailed,
              FailureKind::kDiverged,
              3,
              true,
              "hash",
              R"({"d":8})",
              "w-2",
              "boom",
              40,
              100,
              FromUnixMillis(5000),
              FromUnixMillis(4000)};
  absl::StatusOr<JobRecord> back = FromProto(ToProto(j));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->job_id, 11);
  EXPECT_EQ(back->sweep_id, 4);
  EXPECT_EQ(back->state, JobState::kFailed);
  EXPECT_EQ(back->failure, FailureKind::kDiverged);
  EXPECT_EQ(back->attempt, 3);
  EXPECT_TRUE(back->cached);
  EXPECT_EQ(back->config_hash, "hash");
  EXPECT_EQ(back->config_json, j.config_json);
  EXPECT_EQ(back->worker_id, "w-2");
  EXPECT_EQ(back->error, "boom");
  EXPECT_EQ(back->progress_step, 40);
  EXPECT_EQ(back->progress_total, 100);
  EXPECT_EQ(back->lease_expires_at, j.lease_expires_at);
  EXPECT_EQ(back->leased_at, j.leased_at);
}

TEST(ConvertTest, JobRecordWithUnknownStateIsInvalidArgument) {
  v1::JobRecord p = ToProto(JobRecord{});
  p.set_state("paused");
  absl::StatusOr<JobRecord> back = FromProto(p);
  EXPECT_EQ(back.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(back.status().message()).find("paused"), std::string::npos);
}

TEST(ConvertTest, WorkerRecordRoundTrip) {
  WorkerRecord w{"w-3", "host", 4, "v1", FromUnixMillis(10), FromUnixMillis(20), 2, 9};
  WorkerRecord back = FromProto(ToProto(w));
  EXPECT_EQ(back.worker_id, "w-3");
  EXPECT_EQ(back.host, "host");
  EXPECT_EQ(back.slots, 4);
  EXPECT_EQ(back.build_version, "v1");
  EXPECT_EQ(back.registered_at, w.registered_at);
  EXPECT_EQ(back.last_seen_at, w.last_seen_at);
  EXPECT_EQ(back.running, 2);
  EXPECT_EQ(back.completed, 9);
  EXPECT_TRUE(back.slurm.empty());
  EXPECT_TRUE(back.exec_names.empty());
  w.exec_names = {"icl-ridge"};
  EXPECT_EQ(FromProto(ToProto(w)).exec_names, w.exec_names);
  w.slurm = SlurmTask{"1236", "1234", "2"};
  EXPECT_EQ(FromProto(ToProto(w)).slurm, w.slurm);
}

TEST(ConvertTest, QueryAndGroupsRoundTrip) {
  ResultsQuery q{5, {{"d", "16"}, {"link", "h3"}}, {"d", "N"}};
  ResultsQuery qb = FromProto(ToProto(q));
  EXPECT_EQ(qb.sweep_id, 5);
  EXPECT_EQ(qb.where, q.where);
  EXPECT_EQ(qb.group_by, q.group_by);

  // Every field, the statistics included, survives the wire (distinct values, so that a
  // swapped pair of fields fails).
  ResultGroup g{{{"d", "16"}}, 3, 0.1, 0.2, 0.3, 0.4, 1, 0.5, 0.6, 0.7, 0.8, 0.9, 1.1};
  ResultGroup gb = FromProto(ToProto(g));
  EXPECT_EQ(gb, g);
  EXPECT_EQ(std::vector<double>({gb.mse_mean, gb.mse_std, gb.nmse_mean, gb.nmse_std}),
            std::vector<double>({0.1, 0.2, 0.3, 0.4}));
  EXPECT_EQ(std::vector<double>(
                {gb.mse_se, gb.mse_ci_lo, gb.mse_ci_hi, gb.nmse_se, gb.nmse_ci_lo, gb.nmse_ci_hi}),
            std::vector<double>({0.5, 0.6, 0.7, 0.8, 0.9, 1.1}));
  EXPECT_EQ(gb.count, 3);
  EXPECT_EQ(gb.diverged, 1);

  CurveGroup c{{{"N", "64"}},
               {{8, 2, 0.5, 0.05, 0.9, 0.01, 0.07, 0.4, 0.6, 0.014, 0.85, 0.95},
                {16, 2, 0.4, 0.04, 0.8, 0.02, 0.057, 0.3, 0.5, 0.028, 0.7, 0.9}}};
  CurveGroup cb = FromProto(ToProto(c));
  EXPECT_EQ(cb, c);
  ASSERT_EQ(cb.points.size(), 2u);
  EXPECT_EQ(cb.points[1].n, 16);
  EXPECT_EQ(cb.points[1].count, 2);
  EXPECT_EQ(cb.points[1].mse_mean, 0.4);
  EXPECT_EQ(cb.points[1].mse_se, 0.04);
  EXPECT_EQ(cb.points[1].nmse_mean, 0.8);
  EXPECT_EQ(cb.points[1].nmse_se, 0.02);
  EXPECT_EQ(cb.points[1].mse_std, 0.057);
  EXPECT_EQ(cb.points[1].nmse_ci_lo, 0.7);
  EXPECT_EQ(cb.points[1].nmse_ci_hi, 0.9);
}

TEST(ConvertTest, SubmitOutcomeAndHelloRoundTrip) {
  SubmitOutcome o{9, 100, 7, true};
  SubmitOutcome ob = FromProto(ToProto(o));
  EXPECT_EQ(std::vector<int64_t>({ob.sweep_id, ob.jobs_total, ob.jobs_cached}),
            std::vector<int64_t>({9, 100, 7}));
  EXPECT_TRUE(ob.existing);
  WorkerHello h{"w", "h", 3, "v"};
  WorkerHello hb = FromProto(ToProto(h));
  EXPECT_EQ(hb.worker_id, "w");
  EXPECT_EQ(hb.host, "h");
  EXPECT_EQ(hb.slots, 3);
  EXPECT_EQ(hb.build_version, "v");
  EXPECT_TRUE(hb.slurm.empty());
  h.slurm = SlurmTask{"41", "40", "1"};
  EXPECT_EQ(FromProto(ToProto(h)).slurm, h.slurm);
  EXPECT_TRUE(hb.exec_names.empty());
  h.exec_names = {"icl-ridge", "gp"};
  EXPECT_EQ(FromProto(ToProto(h)).exec_names, h.exec_names);
}

TEST(ConvertTest, CheckpointRoundTripKeepsBinaryBytes) {
  CheckpointRecord c;
  c.training_hash = "th";
  c.model = "mamba";
  c.config_json = R"({"d":8})";
  c.bytes = std::string("\0\x01\xff safetensors", 15);
  c.size_bytes = 15;
  c.sha256 = "abc";
  c.job_id = 42;
  c.created_at = FromUnixMillis(77);
  CheckpointRecord back = FromProto(ToProto(c));
  EXPECT_EQ(back.training_hash, "th");
  EXPECT_EQ(back.model, "mamba");
  EXPECT_EQ(back.config_json, c.config_json);
  EXPECT_EQ(back.format, "safetensors");
  EXPECT_EQ(back.bytes, c.bytes);
  EXPECT_EQ(back.size_bytes, 15);
  EXPECT_EQ(back.sha256, "abc");
  EXPECT_EQ(back.job_id, std::optional<int64_t>(42));
  EXPECT_EQ(back.created_at, c.created_at);
  c.job_id.reset();
  EXPECT_FALSE(FromProto(ToProto(c)).job_id.has_value());
}

TEST(ConvertTest, StatusCodesAndMessagesCrossTheWireUnchanged) {
  for (absl::StatusCode code :
       {absl::StatusCode::kInvalidArgument, absl::StatusCode::kNotFound, absl::StatusCode::kAborted,
        absl::StatusCode::kUnavailable, absl::StatusCode::kFailedPrecondition,
        absl::StatusCode::kDataLoss}) {
    absl::Status s(code, "grid.r: 12 > d = 8");
    grpc::Status g = ToGrpcStatus(s);
    EXPECT_EQ(static_cast<int>(g.error_code()), static_cast<int>(code));
    EXPECT_EQ(FromGrpcStatus(g), s);
  }
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
}

}  // namespace
}  // namespace sweep::wire
