// MakeTestPki (see test_pki.h).
#include "tests/integration/test_pki.h"

#include <unistd.h>

#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tests/integration/process.h"

namespace sweep::integration {
namespace {

constexpr const char* kOpenssl = "/usr/bin/openssl";

absl::Status Run(const std::vector<std::string>& args, const std::string& dir) {
  std::vector<std::string> argv = {kOpenssl};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult r = RunCommand(argv, dir, std::chrono::seconds(60));
  if (r.exit_code != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("openssl ", absl::StrJoin(args, " "), ": ", r.err));
  }
  return absl::OkStatus();
}

// A self-signed CA certificate and key: dir/NAME.pem, dir/NAME.key.
absl::Status MakeCa(const std::string& dir, const std::string& name) {
  return Run({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
              "-keyout", dir + "/" + name + ".key", "-out", dir + "/" + name + ".pem", "-subj",
              "/CN=" + name, "-days", "1"},
             dir);
}

// A certificate for CN `cn` signed by dir/ca, with `san` as subjectAltName if given.
absl::Status MakeLeaf(const std::string& dir, const std::string& name, const std::string& cn,
                      const std::string& san) {
  const std::string base = dir + "/" + name;
  if (absl::Status s =
          Run({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
               "-keyout", base + ".key", "-out", base + ".csr", "-subj", "/CN=" + cn},
              dir);
      !s.ok()) {
    return s;
  }
  std::vector<std::string> sign = {"x509",
                                   "-req",
                                   "-in",
                                   base + ".csr",
                                   "-CA",
                                   dir + "/ca.pem",
                                   "-CAkey",
                                   dir + "/ca.key",
                                   "-CAcreateserial",
                                   "-out",
                                   base + ".pem",
                                   "-days",
                                   "1"};
  if (!san.empty()) {
    std::ofstream(base + ".ext") << "subjectAltName=" << san << "\n";
    sign.insert(sign.end(), {"-extfile", base + ".ext"});
  }
  return Run(sign, dir);
}

}  // namespace

absl::Status MakeTestPki(const std::string& dir, TestPki* pki) {
  if (access(kOpenssl, X_OK) != 0) {
    return absl::FailedPreconditionError("openssl not installed (Debian package openssl)");
  }
  pki->dir = dir;
  for (absl::Status s :
       {MakeCa(dir, "ca"), MakeCa(dir, "other-ca"),
        MakeLeaf(dir, "server", "localhost", "IP:127.0.0.1,DNS:localhost"),
        MakeLeaf(dir, "worker", "tlsworker", ""), MakeLeaf(dir, "client", "sweep-cli", "")}) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace sweep::integration
