// Security of the real binaries (issue 10): one coordinator per database and per port,
// authentication and roles, leases bound to a worker's identity, TLS and mutual TLS.
// Each test has its own temp dir, DB and ports; waits are bounded and on conditions.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "tests/integration/cluster.h"
#include "tests/integration/test_pki.h"

namespace sweep::integration {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;

std::string TestName() { return ::testing::UnitTest::GetInstance()->current_test_info()->name(); }

// Two sweepd on one file would be two SQLite writers; the second must not start.
TEST(SecurityIntegrationTest, SecondCoordinatorOnTheSameDatabaseExitsNamingTheFile) {
  Cluster c(TestName());
  ASSERT_TRUE(c.StartCoordinator());
  CommandResult second =
      RunCommand({Bin("sweepd"), "--db", c.db(), "--listen", "127.0.0.1:0"}, c.dir(), seconds(20));
  EXPECT_EQ(second.exit_code, 1) << second.out << second.err;
  EXPECT_THAT(second.err, HasSubstr(c.db() + " is in use by another coordinator"));
  EXPECT_THAT(second.err, HasSubstr("pid " + std::to_string(c.coordinator().pid())));
  EXPECT_THAT(second.out, Not(HasSubstr("listening on")));
}

// SO_REUSEPORT would let a second sweepd share the port and serve half the connections.
TEST(SecurityIntegrationTest, SecondCoordinatorOnAUsedPortExitsWithAnError) {
  Cluster c(TestName());
  ASSERT_TRUE(c.StartCoordinator());
  CommandResult second =
      RunCommand({Bin("sweepd"), "--db", c.dir() + "/other.db", "--listen", c.address()}, c.dir(),
                 seconds(20));
  EXPECT_EQ(second.exit_code, 1) << second.out << second.err;
  EXPECT_THAT(second.err, HasSubstr("cannot bind " + c.address()));
}

// The lock dies with its process: a SIGKILLed coordinator's successor starts at once.
TEST(SecurityIntegrationTest, CoordinatorRestartsOnItsDatabaseAfterSigkill) {
  Cluster c(TestName());
  ASSERT_TRUE(c.StartCoordinator());
  c.KillCoordinator();
  ASSERT_TRUE(c.StartCoordinator());
}

constexpr const char* kTiny = R"(name: tiny
base: {model: krr, d: 6, r: 2, N: 32, eval_tasks: 100, eval_lengths: [8, 16, 32]}
grid:
  link: [h2, h3]
seeds: 2
)";

// Every log and output file of the cluster's processes, concatenated.
std::string AllLogs(const Cluster& c) {
  std::string all;
  for (const auto& e : std::filesystem::directory_iterator(c.dir())) {
    const std::string ext = e.path().extension().string();
    if (ext == ".out" || ext == ".err") all += ReadFile(e.path().string());
  }
  return all;
}

// G1: tokens never reach a log line or an error message, whatever the caller did.
TEST(SecurityIntegrationTest, TokensAppearInNoLogOrMessage) {
  Cluster c(TestName());
  ASSERT_TRUE(c.StartCoordinator());
  c.StartWorker(1);
  CommandResult ok = c.Sweep({"submit", c.WriteFile("tiny.yaml", kTiny), "--wait"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  // The worker token on a client command, and no token at all.
  CommandResult wrong = RunCommand(
      {Bin("sweep"), "--coordinator", c.address(), "--token-file", c.worker_token_file(), "status"},
      c.dir(), seconds(30));
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_THAT(wrong.err, HasSubstr("needs the client token"));
  CommandResult none =
      RunCommand({Bin("sweep"), "--coordinator", c.address(), "cancel", "1"}, c.dir(), seconds(30));
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_THAT(none.err, HasSubstr("no bearer token"));
  const std::string logs = AllLogs(c);
  ASSERT_THAT(logs, HasSubstr("client-token-file: " + c.client_token_file()));  // paths are
  EXPECT_THAT(logs, Not(HasSubstr(c.ClientToken())));
  EXPECT_THAT(logs, Not(HasSubstr(c.WorkerToken())));
}

// A token file others can read is refused with the fix in the message, not used.
TEST(SecurityIntegrationTest, GroupReadableTokenFileIsRefused) {
  Cluster c(TestName());
  const std::string token = c.WriteFile("client-token", std::string(64, 'a') + "\n");
  chmod(token.c_str(), 0644);
  CommandResult r = RunCommand(
      {Bin("sweepd"), "--db", c.db(), "--listen", "127.0.0.1:0", "--client-token-file", token},
      c.dir(), seconds(20));
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_THAT(r.err, HasSubstr(token + " is readable by group or others (mode 0644)"));
  EXPECT_THAT(r.err, HasSubstr("chmod 600"));
  EXPECT_THAT(r.out, Not(HasSubstr("listening on")));
}

// G4: TLS. A client with the right CA runs a sweep; a plaintext client and one trusting
// another CA do not get through.
TEST(SecurityIntegrationTest, TlsServesTrustingClientsOnly) {
  Cluster c(TestName());
  TestPki pki;
  std::filesystem::create_directories(c.dir() + "/pki");
  ASSERT_TRUE(MakeTestPki(c.dir() + "/pki", &pki).ok());
  c.SetFlags({"--tls-cert", pki.cert("server"), "--tls-key", pki.key("server")},
             {"--tls-ca", pki.ca()}, {"--tls-ca", pki.ca()});
  ASSERT_TRUE(c.StartCoordinator());
  c.StartWorker(1);
  CommandResult ok = c.Sweep({"submit", c.WriteFile("tiny.yaml", kTiny), "--wait"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  const std::vector<std::string> base = {Bin("sweep"), "--coordinator", c.address(), "--token-file",
                                         c.client_token_file()};
  auto status_with = [&](std::vector<std::string> flags) {
    std::vector<std::string> argv = base;
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.push_back("status");
    return RunCommand(argv, c.dir(), seconds(60));
  };
  EXPECT_EQ(status_with({"--tls-ca", pki.ca()}).exit_code, 0);
  CommandResult plain = status_with({});
  EXPECT_EQ(plain.exit_code, 1);
  EXPECT_THAT(plain.err, HasSubstr("coordinator " + c.address()));
  CommandResult other = status_with({"--tls-ca", pki.other_ca()});
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_THAT(other.err, HasSubstr("coordinator " + c.address()));
}

// G4, mutual TLS: every caller shows a certificate of the client CA, and a worker's id
// must match its certificate's CN.
TEST(SecurityIntegrationTest, MutualTlsNeedsACertificateAndBindsWorkersToTheirCn) {
  Cluster c(TestName());
  TestPki pki;
  std::filesystem::create_directories(c.dir() + "/pki");
  ASSERT_TRUE(MakeTestPki(c.dir() + "/pki", &pki).ok());
  c.SetFlags(
      {"--tls-cert", pki.cert("server"), "--tls-key", pki.key("server"), "--tls-client-ca",
       pki.ca()},
      {"--tls-ca", pki.ca(), "--tls-cert", pki.cert("worker"), "--tls-key", pki.key("worker"),
       "--worker-id", "tlsworker-1"},
      {"--tls-ca", pki.ca(), "--tls-cert", pki.cert("client"), "--tls-key", pki.key("client")});
  ASSERT_TRUE(c.StartCoordinator());
  c.StartWorker(1);
  CommandResult ok = c.Sweep({"submit", c.WriteFile("tiny.yaml", kTiny), "--wait"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  CommandResult no_cert = RunCommand({Bin("sweep"), "--coordinator", c.address(), "--token-file",
                                      c.client_token_file(), "--tls-ca", pki.ca(), "status"},
                                     c.dir(), seconds(60));
  EXPECT_EQ(no_cert.exit_code, 1);
  // A worker whose id is not its certificate's CN is refused at registration.
  Process impostor({Bin("sweep-worker"), "--coordinator", c.address(), "--token-file",
                    c.worker_token_file(), "--tls-ca", pki.ca(), "--tls-cert", pki.cert("worker"),
                    "--tls-key", pki.key("worker"), "--worker-id", "other-1"},
                   c.dir() + "/impostor.out", c.dir() + "/impostor.err");
  EXPECT_TRUE(WaitUntil(
      [&] {
        return ReadFile(c.dir() + "/impostor.err").find("does not match the certificate's CN") !=
               std::string::npos;
      },
      seconds(20)));
  CommandResult workers = c.Sweep({"workers"});
  ASSERT_EQ(workers.exit_code, 0) << workers.err;
  EXPECT_THAT(workers.out, HasSubstr("tlsworker-1"));
  EXPECT_THAT(workers.out, Not(HasSubstr("other-1")));
}

}  // namespace
}  // namespace sweep::integration
