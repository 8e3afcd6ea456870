// fuzz_spec_mutate: a fuzz run of the sweep-file parser that needs no clang. It feeds
// deterministic mutations of the corpus (tests/fuzz/corpus) to the property of
// spec_property.h for a fixed time or number of inputs and prints how many it tried,
// accepted and refused. Input i is derived from (--seed, i) alone, so `--only I` replays
// it. A broken property or a crash (SIGSEGV, SIGABRT, an escaping exception) writes the
// input to --crash-dir/crash-SEED-I.yaml and exits non-zero.
//   fuzz_spec_mutate --seconds 25 tests/fuzz/corpus        (ctest: fuzz_spec_mutate_short)
//   nice -n 19 fuzz_spec_mutate --seconds 3600 tests/fuzz/corpus   (by hand: README.md)
// Mutations: byte flips, insertions of bytes and of YAML/JSON tokens and job keys,
// deletions, duplications of ranges, splices of two corpus files, and numbers swapped
// for edge values; 1 to 8 of them stacked per input.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "common/job_keys.h"
#include "tests/fuzz/spec_property.h"

namespace {

// The input under test, for the crash handler (which may only use async-signal-safe calls).
const std::string* g_input = nullptr;
char g_crash_path[4096] = {0};

extern "C" void OnCrash(int sig) {
  if (g_input != nullptr && g_crash_path[0] != '\0') {
    const int fd = open(g_crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ssize_t unused = write(fd, g_input->data(), g_input->size());
      (void)unused;
      close(fd);
    }
    const char msg[] = "fuzz_spec_mutate: crash; input written to ";
    ssize_t unused = write(2, msg, sizeof(msg) - 1);
    unused = write(2, g_crash_path, std::strlen(g_crash_path));
    unused = write(2, "\n", 1);
    (void)unused;
  }
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

const std::vector<std::string>& Tokens() {
  static const std::vector<std::string> tokens = [] {
    // A table of tokens, kept as written.
    // clang-format off
    std::vector<std::string> t = {
        "[", "]", "{", "}", ":", ": ", ",", "- ", "\n", "\n  ", "  ", "#", "&a ", "*a", "<<: *a",
        "!!str ", "!!int ", "!!map ", "? ", "|", ">", "---\n", "...\n", "\"", "'", "\\u0000",
        "\t", "\r\n", "%YAML 1.2\n", "0", "-1", "1e308", "-1e308", "1e-320", ".nan", ".inf",
        "NaN", "null", "~", "true", "9223372036854775807", "9223372036854775808",
        "0x7fffffff", "1_000", "h1", "h2*h3", "sin(", "grid:", "base:", "seeds:", "exclude:",
        "name:", "max_attempts:", "\xc3\x28", "\xe2\x80\xae", "\xef\xbb\xbf"};
    // clang-format on
    for (const std::string& k : sweep::AllJobKeys()) t.push_back(k + ": ");
    return t;
  }();
  return tokens;
}

// clang-format off
const std::vector<std::string> kEdgeNumbers = {"0", "-0", "1", "-1", "65536", "65537",
    "2147483648", "1e9", "0.0", "1e-9", ".nan", "-.inf", "99999999999999999999"};
// clang-format on

// One mutation of `s` (in place), drawing from `rng`.
void Mutate(std::string& s, const std::vector<std::string>& corpus, std::mt19937_64& rng) {
  auto pick = [&](size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng);
  };
  const size_t pos = pick(s.size() + 1);
  switch (pick(8)) {
    case 0:  // flip a byte
      if (!s.empty()) s[pick(s.size())] ^= static_cast<char>(1 << pick(8));
      break;
    case 1:  // insert a random byte
      s.insert(pos, 1, static_cast<char>(pick(256)));
      break;
    case 2:  // insert a token
      s.insert(pos, Tokens()[pick(Tokens().size())]);
      break;
    case 3: {  // delete a range
      const size_t len = std::min(s.size() - std::min(pos, s.size()), pick(32) + 1);
      if (pos < s.size()) s.erase(pos, len);
      break;
    }
    case 4: {  // duplicate a range (repetition grows nesting and lists)
      if (s.empty()) break;
      const size_t from = pick(s.size());
      const size_t len = std::min(s.size() - from, pick(64) + 1);
      const std::string piece = s.substr(from, len);
      for (size_t k = pick(4) + 1; k > 0 && s.size() < (1 << 16); --k) s.insert(pos, piece);
      break;
    }
    case 5: {  // splice: our head, another corpus file's tail
      const std::string& other = corpus[pick(corpus.size())];
      s = s.substr(0, pos) + other.substr(pick(other.size() + 1));
      break;
    }
    case 6: {  // replace a number with an edge value
      const size_t digit = s.find_first_of("0123456789", pos);
      if (digit == std::string::npos) break;
      const size_t end = s.find_first_not_of("0123456789.eE+-", digit);
      s.replace(digit, (end == std::string::npos ? s.size() : end) - digit,
                kEdgeNumbers[pick(kEdgeNumbers.size())]);
      break;
    }
    default:  // swap two lines
    {
      std::vector<std::string> lines;
      std::istringstream in(s);
      for (std::string l; std::getline(in, l);) lines.push_back(l);
      if (lines.size() < 2) break;
      std::swap(lines[pick(lines.size())], lines[pick(lines.size())]);
      s.clear();
      for (const std::string& l : lines) s += l + "\n";
      break;
    }
  }
}

// Input i of the run: a corpus file with 1..8 mutations, all drawn from (seed, i).
std::string MakeInput(const std::vector<std::string>& corpus, uint64_t seed, uint64_t i) {
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                    static_cast<uint32_t>(i), static_cast<uint32_t>(i >> 32)};
  std::mt19937_64 rng(seq);
  std::string s = corpus[std::uniform_int_distribution<size_t>(0, corpus.size() - 1)(rng)];
  const int n = std::uniform_int_distribution<int>(1, 8)(rng);
  for (int k = 0; k < n; ++k) Mutate(s, corpus, rng);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("Deterministic mutation fuzzing of the sweep-file parser (no clang needed)");
  std::string corpus_dir, crash_dir = ".";
  double seconds = 20;
  uint64_t seed = 1, max_inputs = 0;
  int64_t only = -1;
  app.add_option("corpus", corpus_dir, "folder of seed inputs (tests/fuzz/corpus)")->required();
  app.add_option("--seconds", seconds, "run time")->check(CLI::Range(0.0, 86400.0 * 7));
  app.add_option("--max-inputs", max_inputs, "stop after this many inputs (0: no limit)");
  app.add_option("--seed", seed, "seed of the mutations");
  app.add_option("--only", only, "run input I of the seed alone (replay)");
  app.add_option("--crash-dir", crash_dir, "where a crashing input is written");
  CLI11_PARSE(app, argc, argv);

  std::vector<std::string> corpus;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(corpus_dir, ec)) {
    std::ifstream in(e.path(), std::ios::binary);
    corpus.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (ec || corpus.empty()) {
    std::fprintf(stderr, "fuzz_spec_mutate: %s: no corpus files\n", corpus_dir.c_str());
    return 2;
  }
  for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL}) std::signal(sig, OnCrash);

  const auto t0 = std::chrono::steady_clock::now();
  const auto deadline = t0 + std::chrono::duration<double>(seconds);
  uint64_t tried = 0, accepted = 0, refused = 0;
  std::string input;
  g_input = &input;
  // Bounded: by --only, --max-inputs or the deadline (checked every input).
  for (uint64_t i = only >= 0 ? static_cast<uint64_t>(only) : 0;; ++i) {
    if (only >= 0 ? tried == 1 : (max_inputs > 0 && tried == max_inputs)) break;
    if (only < 0 && std::chrono::steady_clock::now() >= deadline) break;
    input = MakeInput(corpus, seed, i);
    std::snprintf(g_crash_path, sizeof(g_crash_path), "%s/crash-%llu-%llu.yaml", crash_dir.c_str(),
                  static_cast<unsigned long long>(seed), static_cast<unsigned long long>(i));
    try {
      if (sweep::fuzz::CheckSpecInput(input) == sweep::fuzz::Verdict::kAccepted) {
        ++accepted;
      } else {
        ++refused;
      }
    } catch (const std::exception& e) {
      // The parser must turn every third-party exception into a Status.
      std::fprintf(stderr, "fuzz_spec_mutate: input %llu threw: %s\n",
                   static_cast<unsigned long long>(i), e.what());
      OnCrash(SIGABRT);
    }
    ++tried;
  }
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf(
      "fuzz_spec_mutate seed %llu: %llu inputs in %.1f s (%.0f/s): %llu accepted, "
      "%llu refused with INVALID_ARGUMENT, 0 crashes\n",
      static_cast<unsigned long long>(seed), static_cast<unsigned long long>(tried), took,
      tried / std::max(took, 1e-9), static_cast<unsigned long long>(accepted),
      static_cast<unsigned long long>(refused));
  return 0;
}
