// The key registry: one table row per job key of docs/science.md section 7 (plus the
// curriculum keys of common/job_config.h). Everything else in this file is driven by
// the table, so adding a key is adding a row.
#include "common/job_keys.h"

#include <algorithm>
#include <charconv>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <variant>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/link_expr.h"
#include "common/status.h"
#include "openssl/evp.h"

namespace sweep {
namespace {

using nlohmann::json;

// Which models use a key (a bit per model, in kModels order).
enum : uint8_t { kMamba = 1, kTheory = 2, kTransformer = 4, kKrr = 8 };
constexpr uint8_t kAll = kMamba | kTheory | kTransformer | kKrr;
constexpr uint8_t kSeq = kMamba | kTransformer;  // the end-to-end trained models
constexpr const char* kModels[] = {"mamba", "mamba-theory", "transformer", "krr"};

using Field = std::variant<int JobConfig::*, double JobConfig::*, std::string JobConfig::*,
                           bool JobConfig::*, uint64_t JobConfig::*, std::vector<int> JobConfig::*>;

// How a key gets its value when a partial config leaves it out.
enum class Default { kStatic, kRequired, kDerived };

struct KeyDef {
  std::string_view name;  // not const char*: lookups compare names without strlen
  Field field;
  uint8_t models;
  double lo, hi;                    // numeric range (inclusive unless lo_open)
  std::vector<std::string> values;  // allowed strings; empty = any
  bool lo_open = false;
  bool training = true;
  Default def = Default::kStatic;
};

constexpr double kMaxInt = 10'000'000;
constexpr double kSeedMax = 9'223'372'036'854'775'807.0;  // INT64_MAX: SQLite stores it

std::vector<KeyDef> BuildTable() {
  using C = JobConfig;
  std::vector<KeyDef> t = {
      {"model", &C::model, kAll, 0, 0, {kModels[0], kModels[1], kModels[2], kModels[3]},
       false, true, Default::kRequired},
      {"d", &C::d, kAll, 1, 1024, {}, false, true, Default::kRequired},
      {"r", &C::r, kAll, 1, 1024, {}, false, true, Default::kDerived},
      {"N", &C::N, kAll, 1, 65536, {}, false, true, Default::kRequired},
      {"link", &C::link, kAll, 0, 0, {}},
      {"tau", &C::tau, kAll, 0, 1000, {}},
      {"subspace", &C::subspace, kAll, 0, 0, {"aligned", "random"}},
      {"seed", &C::seed, kAll, 0, kSeedMax, {}},
      {"format", &C::format, kSeq, 0, 0, {"interleaved", "paired"}, false, true,
       Default::kDerived},
      {"eval_tasks", &C::eval_tasks, kAll, 1, kMaxInt, {}, false, false},
      {"eval_lengths", &C::eval_lengths, kAll, 0, 65536, {}, false, false, Default::kDerived},
      {"eps", &C::eps, kAll, 0, 1e6, {}, true, false},
      {"steps", &C::steps, kSeq, 1, kMaxInt, {}},
      {"batch", &C::batch, kSeq, 1, 65536, {}},
      {"lr", &C::lr, kSeq, 0, 10, {}, true},
      {"clip", &C::clip, kSeq, 0, 1e6, {}},
      {"warmup", &C::warmup, kSeq, 0, kMaxInt, {}},
      {"schedule", &C::schedule, kSeq, 0, 0, {"constant", "cosine"}},
      {"curriculum", &C::curriculum, kSeq, 0, 0, {}},
      {"curriculum_start", &C::curriculum_start, kSeq, 0, 1, {}, true},
      {"curriculum_ramp", &C::curriculum_ramp, kSeq, 0, 1, {}},
      {"L", &C::L, kSeq, 1, 64, {}},
      {"D", &C::D, kSeq, 1, 8192, {}},
      {"n", &C::n, kMamba, 1, 1024, {}},
      {"expand", &C::expand, kMamba, 1, 16, {}},
      {"conv", &C::conv, kMamba, 0, 64, {}},
      {"selective", &C::selective, kMamba, 0, 0, {}},
      {"H", &C::H, kTransformer, 1, 256, {}},
      {"attention", &C::attention, kTransformer, 0, 0, {"softmax", "linear"}},
      {"gate", &C::gate, kTheory, 0, 0, {"sigmoid", "none"}},
      {"K1", &C::K1, kTheory, 1, 1'000'000, {}},
      {"T1", &C::T1, kTheory, 1, 1'000'000, {}},
      {"eta1", &C::eta1, kTheory, 0, 10, {}, true},
      {"lambda1", &C::lambda1, kTheory, 0, 10, {}},
      {"T2", &C::T2, kTheory, 1, kMaxInt, {}},
      {"lambda2", &C::lambda2, kTheory, 0, 1e6, {}, true},
      {"m", &C::m, kTheory, 1, 65536, {}},
      {"kernel", &C::kernel, kKrr, 0, 0, {"rbf", "poly"}},
      {"features", &C::features, kKrr, 0, 0, {"ambient", "intrinsic"}},
      {"dtype", &C::dtype, kAll, 0, 0, {"float32", "float64"}},
      {"threads", &C::threads, kAll, 1, 256, {}},
  };
  // Canonical order = byte order of the names (what a sorted JSON object gives).
  std::sort(t.begin(), t.end(),
            [](const KeyDef& a, const KeyDef& b) { return a.name < b.name; });
  return t;
}

const std::vector<KeyDef>& Table() {
  static const std::vector<KeyDef> table = BuildTable();
  return table;
}

const KeyDef* FindKey(std::string_view name) {
  const auto& t = Table();
  auto it = std::lower_bound(t.begin(), t.end(), name,
                             [](const KeyDef& k, std::string_view n) { return k.name < n; });
  return it != t.end() && it->name == name ? &*it : nullptr;
}

uint8_t ModelBit(std::string_view model) {
  for (int i = 0; i < 4; ++i) {
    if (model == kModels[i]) return uint8_t(1u << i);
  }
  return 0;
}

// Shortest text that reads back to the same double; always shows it is a double.
std::string FormatDouble(double v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  std::string s(buf, res.ptr);
  if (std::isfinite(v) && s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

// json::dump throws on invalid UTF-8; replacing the bad bytes keeps this file exception-free.
std::string Dump(const json& v) { return v.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string Describe(const json& v) {
  std::string text = Dump(v);
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return absl::StrCat(v.type_name(), " ", text);
}

absl::Status KeyError(const KeyDef& k, std::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(k.name), ": ", std::string(reason)));
}

absl::Status CheckRange(const KeyDef& k, double v) {
  bool ok = (k.lo_open ? v > k.lo : v >= k.lo) && v <= k.hi;
  if (ok) return absl::OkStatus();
  return KeyError(k, absl::StrCat(FormatDouble(v), " out of range ", k.lo_open ? "(" : "[",
                                  FormatDouble(k.lo), ", ", FormatDouble(k.hi), "]"));
}

// Reads an integer (an integral float such as 1e4 is accepted) within the key's range.
absl::StatusOr<int64_t> ReadInt(const KeyDef& k, const json& v) {
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > uint64_t(std::numeric_limits<int64_t>::max())) {
      return KeyError(k, absl::StrCat(u, " out of range"));
    }
    return int64_t(u);
  }
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float()) {
    double x = v.get<double>();
    if (std::isfinite(x) && x == std::floor(x) && std::fabs(x) < 9.0e18) return int64_t(x);
  }
  return KeyError(k, absl::StrCat("expected an integer, got ", Describe(v)));
}

// An integer range bound as text (the seed bound, INT64_MAX, does not survive a double).
std::string FormatBound(double bound) {
  if (bound >= kSeedMax) return absl::StrCat(std::numeric_limits<int64_t>::max());
  return absl::StrCat(int64_t(bound));
}

absl::Status ReadIntField(const KeyDef& k, const json& v, int64_t& out) {
  SWEEP_ASSIGN_OR_RETURN(out, ReadInt(k, v));
  if (out < k.lo || double(out) > k.hi) {
    return KeyError(k, absl::StrCat(out, " out of range [", FormatBound(k.lo), ", ",
                                    FormatBound(k.hi), "]"));
  }
  return absl::OkStatus();
}

// ReadValue overloads: one per field type, each checking type and the key's own range.
absl::Status ReadValue(const KeyDef& k, const json& v, std::string& out) {
  if (!v.is_string()) return KeyError(k, absl::StrCat("expected a string, got ", Describe(v)));
  const auto& s = v.get_ref<const std::string&>();
  if (!k.values.empty() && std::find(k.values.begin(), k.values.end(), s) == k.values.end()) {
    return KeyError(k, absl::StrCat("unknown value \"", s, "\" (expected one of: ",
                                    absl::StrJoin(k.values, ", "), ")"));
  }
  out = s;
  return absl::OkStatus();
}

absl::Status ReadValue(const KeyDef& k, const json& v, bool& out) {
  if (!v.is_boolean()) return KeyError(k, absl::StrCat("expected true or false, got ", Describe(v)));
  out = v.get<bool>();
  return absl::OkStatus();
}

absl::Status ReadValue(const KeyDef& k, const json& v, double& out) {
  if (!v.is_number()) return KeyError(k, absl::StrCat("expected a number, got ", Describe(v)));
  const double x = v.get<double>();
  if (!std::isfinite(x)) return KeyError(k, "NaN/inf is not allowed");
  SWEEP_RETURN_IF_ERROR(CheckRange(k, x));
  out = x == 0 ? 0.0 : x;  // -0.0 would print, and hash, apart from 0.0
  return absl::OkStatus();
}

absl::Status ReadValue(const KeyDef& k, const json& v, std::vector<int>& out) {
  if (!v.is_array() || v.empty()) {
    return KeyError(k, absl::StrCat("expected a non-empty list of integers, got ", Describe(v)));
  }
  std::vector<int> list;
  for (const json& e : v) {
    int64_t x = 0;
    SWEEP_RETURN_IF_ERROR(ReadIntField(k, e, x));
    list.push_back(int(x));
  }
  // A set of lengths: order and repeats carry no meaning, so they do not change the hash.
  std::sort(list.begin(), list.end());
  list.erase(std::unique(list.begin(), list.end()), list.end());
  out = std::move(list);
  return absl::OkStatus();
}

template <typename T>  // int, uint64_t
absl::Status ReadValue(const KeyDef& k, const json& v, T& out) {
  int64_t x = 0;
  SWEEP_RETURN_IF_ERROR(ReadIntField(k, v, x));
  out = T(x);
  return absl::OkStatus();
}

absl::Status SetField(const KeyDef& k, const json& v, JobConfig& c) {
  return std::visit([&](auto member) { return ReadValue(k, v, c.*member); }, k.field);
}

// The N/8, N/4, N/2, N lengths of paired prompts, rounded, >= 1, deduplicated.
std::vector<int> PairedLengths(int N) {
  std::vector<int> out;
  for (int div : {8, 4, 2, 1}) {
    int n = std::max(1, int(std::lround(double(N) / div)));
    if (out.empty() || out.back() != n) out.push_back(n);
  }
  return out;
}

void FillDerived(const json& partial, uint8_t model, JobConfig& c) {
  if (!partial.contains("r")) c.r = std::min(8, c.d);
  if (!(model & kSeq) || !partial.contains("format")) {
    c.format = (model & kSeq) ? "interleaved" : "paired";
  }
  if (!partial.contains("eval_lengths")) {
    c.eval_lengths.clear();
    if (c.format == "interleaved") {
      for (int n = 0; n <= c.N; ++n) c.eval_lengths.push_back(n);
    } else {
      c.eval_lengths = PairedLengths(c.N);
    }
  }
}

absl::Status CheckCrossKeys(uint8_t model, const JobConfig& c) {
  if (c.r > c.d) {
    return absl::InvalidArgumentError(absl::StrCat("r: ", c.r, " > d = ", c.d, " (r must be <= d)"));
  }
  if (c.eval_lengths.back() > c.N) {
    return absl::InvalidArgumentError(absl::StrCat("eval_lengths: ", c.eval_lengths.back(),
                                                   " > N = ", c.N, " (entries must lie in 0..N)"));
  }
  if ((model & kTransformer) && c.D % c.H != 0) {
    return absl::InvalidArgumentError(absl::StrCat("H: D = ", c.D, " is not divisible by H = ",
                                                   c.H, " (heads split D evenly)"));
  }
  if ((model & kSeq) && c.warmup > c.steps) {
    return absl::InvalidArgumentError(
        absl::StrCat("warmup: ", c.warmup, " > steps = ", c.steps, " (warmup must be <= steps)"));
  }
  return ParseLink(c.link).status();
}

// Whitespace carries no meaning in a link, so it must not split one job into two hashes.
void NormalizeLink(JobConfig& c) {
  auto is_space = [](char ch) { return std::isspace(static_cast<unsigned char>(ch)) != 0; };
  c.link.erase(std::remove_if(c.link.begin(), c.link.end(), is_space), c.link.end());
}

// Whether a used key is part of the job's identity (curriculum_* only matter when on).
bool Active(const KeyDef& k, uint8_t model, const JobConfig& c) {
  if (!(k.models & model)) return false;
  if (k.name == "curriculum_start" || k.name == "curriculum_ramp") return c.curriculum;
  return true;
}

// Puts every inactive key back to the struct default, so that dropped keys compare equal.
void ResetInactive(uint8_t model, JobConfig& c) {
  static const JobConfig defaults;
  for (const KeyDef& k : Table()) {
    if (Active(k, model, c) || k.def == Default::kDerived) continue;
    std::visit([&](auto member) { c.*member = defaults.*member; }, k.field);
  }
}

void AppendValue(const Field& field, const JobConfig& c, std::string& out) {
  std::visit(
      [&](auto member) {
        const auto& v = c.*member;
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          out += Dump(json(v));
        } else if constexpr (std::is_same_v<T, bool>) {
          out += v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, double>) {
          out += FormatDouble(v);
        } else if constexpr (std::is_same_v<T, std::vector<int>>) {
          out += '[';
          for (size_t i = 0; i < v.size(); ++i) absl::StrAppend(&out, i ? "," : "", v[i]);
          out += ']';
        } else {
          absl::StrAppend(&out, v);
        }
      },
      field);
}

std::string CanonicalJsonImpl(const JobConfig& c, bool training_only) {
  const uint8_t model = ModelBit(c.model);
  std::string out = "{";
  for (const KeyDef& k : Table()) {
    if (!Active(k, model, c) || (training_only && !k.training)) continue;
    if (out.size() > 1) out += ',';
    out += '"';
    out += k.name;
    out += "\":";
    AppendValue(k.field, c, out);
  }
  out += '}';
  return out;
}

std::string Sha256Hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  SWEEP_CHECK(EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) == 1);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(md), len));
}

absl::StatusOr<uint8_t> ReadModel(const json& partial, JobConfig& c) {
  auto it = partial.find("model");
  if (it == partial.end()) return absl::InvalidArgumentError("model: required");
  SWEEP_RETURN_IF_ERROR(SetField(*FindKey("model"), *it, c));
  return ModelBit(c.model);
}

}  // namespace

absl::StatusOr<JobConfig> ResolveJobConfig(const json& partial) {
  if (!partial.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat("config: expected an object, got ", Describe(partial)));
  }
  JobConfig c;
  SWEEP_ASSIGN_OR_RETURN(uint8_t model, ReadModel(partial, c));
  for (const KeyDef& k : Table()) {
    if (k.def == Default::kRequired && !partial.contains(k.name)) return KeyError(k, "required");
  }
  for (const auto& [key, value] : partial.items()) {
    const KeyDef* k = FindKey(key);
    if (k == nullptr) return absl::InvalidArgumentError(absl::StrCat("unknown key \"", key, "\""));
    // Values of keys this model ignores are still checked: a bad value is a typo somewhere.
    SWEEP_RETURN_IF_ERROR(SetField(*k, value, c));
  }
  FillDerived(partial, model, c);
  NormalizeLink(c);
  SWEEP_RETURN_IF_ERROR(CheckCrossKeys(model, c));
  ResetInactive(model, c);
  return c;
}

std::string CanonicalJson(const JobConfig& config) { return CanonicalJsonImpl(config, false); }

std::string ConfigHash(const JobConfig& config) { return Sha256Hex(CanonicalJson(config)); }

std::string TrainingHash(const JobConfig& config) {
  return Sha256Hex(CanonicalJsonImpl(config, true));
}

const std::vector<std::string>& AllJobKeys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> names;
    for (const KeyDef& k : Table()) names.emplace_back(k.name);
    return names;
  }();
  return keys;
}

const std::vector<std::string>& AllModels() {
  static const std::vector<std::string> models(std::begin(kModels), std::end(kModels));
  return models;
}

bool ModelUsesKey(std::string_view model, std::string_view key) {
  const KeyDef* k = FindKey(key);
  return k != nullptr && (k->models & ModelBit(model)) != 0;
}

bool IsTrainingKey(std::string_view key) {
  const KeyDef* k = FindKey(key);
  return k != nullptr && k->training;
}

}  // namespace sweep
