// bench_hostile: the memory a running sweepd spends refusing hostile sweep files
// (docs/limits.md). Sends `--concurrent` SubmitSweep requests of `--bytes` each, of one
// `--kind`, to --coordinator, and prints the server's peak RSS (VmHWM of --pid) before
// and after, against the request size. Run by scripts/bench-hostile.sh.
//   kinds: deep-flow ("[" x bytes), deep-map ("{a: " x ..), wide-flow ("[1,1,...]"),
//          wide-block ("- 1\n" x ..), trailing-json (a valid JSON sweep + garbage),
//          report-curve (a leased job's report with a curve of ~bytes/11 points far beyond N)
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "proto/convert.h"
#include "rpc/channel.h"
#include "rpc/deadline.h"
#include "sweep/v1/sweep.grpc.pb.h"

namespace {

std::string Repeat(const std::string& piece, size_t bytes) {
  std::string out;
  out.reserve(bytes);
  while (out.size() + piece.size() <= bytes) out += piece;
  return out;
}

std::string Payload(const std::string& kind, size_t bytes) {
  if (kind == "deep-flow") return std::string(bytes, '[');
  if (kind == "deep-map") return "name: x\nbase: " + Repeat("{a: ", bytes - 14);
  if (kind == "wide-flow") return "[" + Repeat("1,", bytes - 2) + "1]";
  if (kind == "wide-block") return Repeat("- 1\n", bytes);
  return R"({"name": "j", "base": {"model": "krr", "d": 4, "N": 8}} )" + Repeat("x", bytes - 60);
}

// Peak resident set (kB) of process `pid` so far.
long PeakRssKb(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// Submits a one-job sweep, registers "bench-w" and leases the job; the lease, or none.
std::optional<sweep::v1::Lease> LeaseOneJob(sweep::v1::SweepService::Stub& stub) {
  auto call = [](auto fn) {
    grpc::ClientContext ctx;
    sweep::rpc::SetDeadline(ctx, sweep::rpc::RpcKind::kQuery);
    return fn(ctx).ok();
  };
  sweep::v1::SubmitSweepRequest submit;
  submit.set_request_id("bench-report");
  submit.set_spec_text("name: r\nbase: {model: krr, d: 4, N: 8, eval_tasks: 10}\n");
  sweep::v1::SubmitSweepResponse submitted;
  sweep::v1::RegisterWorkerRequest hello;
  hello.set_worker_id("bench-w");
  hello.set_slots(1);
  sweep::v1::RegisterWorkerResponse registered;
  sweep::v1::LeaseJobRequest ask;
  ask.set_worker_id("bench-w");
  ask.set_wait_ms(1000);
  sweep::v1::LeaseJobResponse leased;
  if (!call([&](auto& ctx) { return stub.SubmitSweep(&ctx, submit, &submitted); }) ||
      !call([&](auto& ctx) { return stub.RegisterWorker(&ctx, hello, &registered); }) ||
      !call([&](auto& ctx) { return stub.LeaseJob(&ctx, ask, &leased); }) || !leased.has_lease()) {
    return std::nullopt;
  }
  return leased.lease();
}

}  // namespace

int main(int argc, char** argv) {
  std::string coordinator = "127.0.0.1:7070", kind = "deep-flow";
  int pid = 0, concurrent = 1;
  size_t bytes = 4 << 20;
  CLI::App app{"bench_hostile: sweepd's peak memory while refusing hostile sweep files"};
  app.add_option("--coordinator", coordinator)->capture_default_str();
  app.add_option("--pid", pid, "sweepd's process id")->required();
  app.add_option("--kind", kind)->capture_default_str();
  app.add_option("--bytes", bytes)->capture_default_str();
  app.add_option("--concurrent", concurrent)->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const std::string text = kind == "report-curve" ? std::string() : Payload(kind, bytes);
  auto stub = sweep::v1::SweepService::NewStub(sweep::rpc::MakeChannel(coordinator));
  std::optional<sweep::v1::Lease> lease;
  sweep::v1::ReportResultRequest report;
  if (kind == "report-curve") {
    lease = LeaseOneJob(*stub);
    if (!lease) {
      std::cerr << "bench_hostile: could not lease a job\n";
      return 2;
    }
    report.set_job_id(lease->job_id());
    report.set_attempt(lease->attempt());
    report.mutable_report()->set_ok(true);
    report.mutable_report()->set_worker_id("bench-w");
    for (size_t n = 0; report.ByteSizeLong() < bytes; ++n) {
      sweep::v1::EvalPoint* p = report.mutable_report()->mutable_result()->add_curve();
      p->set_n(static_cast<int>(1'000'000 + n));
      p->set_mse(0.5);
    }
  }
  const size_t request_bytes = lease ? report.ByteSizeLong() : text.size();
  const long before = PeakRssKb(pid);
  std::vector<std::string> answers(concurrent);
  {
    std::vector<std::jthread> senders;
    for (int i = 0; i < concurrent; ++i) {
      senders.emplace_back([&, i] {
        grpc::ClientContext ctx;
        sweep::rpc::SetDeadline(ctx, sweep::rpc::RpcKind::kQuery);
        grpc::Status s;
        if (lease) {
          sweep::v1::ReportResultResponse resp;
          s = stub->ReportResult(&ctx, report, &resp);
        } else {
          sweep::v1::SubmitSweepRequest req;
          req.set_request_id("hostile-" + kind + "-" + std::to_string(i));
          req.set_spec_text(text);
          req.set_source_name("hostile.yaml");
          sweep::v1::SubmitSweepResponse resp;
          s = stub->SubmitSweep(&ctx, req, &resp);
        }
        answers[i] = s.ok()
                         ? "OK (accepted!)"
                         : std::to_string(s.error_code()) + " " + s.error_message().substr(0, 100);
      });
    }
  }
  const long after = PeakRssKb(pid);
  std::cout << "kind " << kind << ", " << concurrent << " x " << request_bytes << " bytes\n"
            << "answer: " << answers[0] << "\n"
            << "sweepd peak RSS: before " << before / 1024 << " MiB, after " << after / 1024
            << " MiB; growth " << (after - before) / 1024 << " MiB = "
            << static_cast<double>(after - before) * 1024 /
                   (static_cast<double>(request_bytes) * concurrent)
            << " x the request bytes\n";
  return answers[0].rfind("OK", 0) == 0 ? 1 : 0;
}
