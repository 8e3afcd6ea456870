// Security of the real binaries (issue 10): one coordinator per database and per port,
// authentication and roles, leases bound to a worker's identity, TLS and mutual TLS.
// Each test has its own temp dir, DB and ports; waits are bounded and on conditions.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/integration/cluster.h"

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

}  // namespace
}  // namespace sweep::integration
