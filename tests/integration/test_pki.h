// Certificates for the TLS tests, made at run time with the `openssl` command line
// (Debian package openssl), so that no key is ever committed: a CA, a server
// certificate for 127.0.0.1, a worker certificate (CN "tlsworker"), a client
// certificate (CN "sweep-cli") and an unrelated second CA. EC P-256 keys, valid one day.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace sweep::integration {

struct TestPki {
  std::string dir;
  std::string ca() const { return dir + "/ca.pem"; }
  std::string other_ca() const { return dir + "/other-ca.pem"; }
  std::string cert(const std::string& name) const { return dir + "/" + name + ".pem"; }
  std::string key(const std::string& name) const { return dir + "/" + name + ".key"; }
};

// Writes the files into `dir`. FAILED_PRECONDITION when openssl is missing or fails.
absl::Status MakeTestPki(const std::string& dir, TestPki* pki);

}  // namespace sweep::integration
