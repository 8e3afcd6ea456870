// The key registry: one table row per job key of docs/science.md section 7 (plus the
// curriculum keys of common/job_config.h). Everything else in this file is driven by
// the table, so adding a key is adding a row.
#include "common/job_keys.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <type_traits>
#include <variant>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/exec_keys.h"
#include "common/job_keys_derived.h"
#include "common/status.h"
#include "openssl/evp.h"

namespace sweep {
namespace {

using nlohmann::json;

// The name tables of the enumerated keys, indexed by enumerator: the only place where
// these names are spelled.
constexpr std::string_view kModelNames[] = {"mamba", "mamba-theory", "transformer", "krr", "exec"};
constexpr std::string_view kFormatNames[] = {"interleaved", "paired"};
constexpr std::string_view kScheduleNames[] = {"constant", "cosine"};
constexpr std::string_view kAttentionNames[] = {"softmax", "linear"};
constexpr std::string_view kGateNames[] = {"sigmoid", "none"};
constexpr std::string_view kKernelNames[] = {"rbf", "poly"};
constexpr std::string_view kFeaturesNames[] = {"ambient", "intrinsic"};
constexpr std::string_view kDtypeNames[] = {"float32", "float64"};
constexpr std::string_view kSubspaceNames[] = {"aligned", "random"};

// A name per enumerator: adding an enumerator without its name fails to compile.
static_assert(std::size(kModelNames) == size_t(ModelKind::kExec) + 1);
static_assert(std::size(kFormatNames) == size_t(PromptFormat::kPaired) + 1);
static_assert(std::size(kScheduleNames) == size_t(Schedule::kCosine) + 1);
static_assert(std::size(kAttentionNames) == size_t(Attention::kLinear) + 1);
static_assert(std::size(kGateNames) == size_t(Gate::kNone) + 1);
static_assert(std::size(kKernelNames) == size_t(KernelKind::kPoly) + 1);
static_assert(std::size(kFeaturesNames) == size_t(Features::kIntrinsic) + 1);
static_assert(std::size(kDtypeNames) == size_t(Dtype::kFloat64) + 1);
static_assert(std::size(kSubspaceNames) == size_t(Subspace::kRandom) + 1);

// An enum's key (for error messages) and its names.
struct EnumTable {
  std::string_view key;
  std::span<const std::string_view> names;
};

// Overloads by enum type (the argument only selects the table).
constexpr EnumTable TableOf(ModelKind) { return {"model", kModelNames}; }
constexpr EnumTable TableOf(PromptFormat) { return {"format", kFormatNames}; }
constexpr EnumTable TableOf(Schedule) { return {"schedule", kScheduleNames}; }
constexpr EnumTable TableOf(Attention) { return {"attention", kAttentionNames}; }
constexpr EnumTable TableOf(Gate) { return {"gate", kGateNames}; }
constexpr EnumTable TableOf(KernelKind) { return {"kernel", kKernelNames}; }
constexpr EnumTable TableOf(Features) { return {"features", kFeaturesNames}; }
constexpr EnumTable TableOf(Dtype) { return {"dtype", kDtypeNames}; }
constexpr EnumTable TableOf(Subspace) { return {"subspace", kSubspaceNames}; }

// Which models use a key (a bit per model, in ModelKind order).
enum : uint8_t { kMamba = 1, kTheory = 2, kTransformer = 4, kKrr = 8, kExec = 16 };
constexpr uint8_t kBuiltIn = kMamba | kTheory | kTransformer | kKrr;  // the numerics' models
// The task and evaluation keys: an exec program gets them too (docs/exec.md).
constexpr uint8_t kAll = kBuiltIn | kExec;
constexpr uint8_t kSeq = kMamba | kTransformer;  // the end-to-end trained models

uint8_t ModelBit(ModelKind model) { return uint8_t(1u << unsigned(model)); }

using Field =
    std::variant<int JobConfig::*, double JobConfig::*, std::string JobConfig::*, bool JobConfig::*,
                 uint64_t JobConfig::*, std::vector<int> JobConfig::*, ModelKind JobConfig::*,
                 PromptFormat JobConfig::*, Schedule JobConfig::*, Attention JobConfig::*,
                 Gate JobConfig::*, KernelKind JobConfig::*, Features JobConfig::*,
                 Dtype JobConfig::*, Subspace JobConfig::*, ExecParams JobConfig::*>;

// How a key gets its value when a partial config leaves it out.
enum class Default { kStatic, kRequired, kDerived };

// A registry row; rows name their fields (designated initialisers), unset ones keep
// these defaults.
struct KeyDef {
  std::string_view name;  // not const char*: lookups compare names without strlen
  Field field;
  uint8_t models = 0;
  double lo = 0, hi = 0;  // numeric range, inclusive unless lo_open
  bool lo_open = false;
  bool training = true;  // part of TrainingHash
  Default def = Default::kStatic;
};

constexpr double kMaxInt = 10'000'000;
constexpr double kSeedMax = 9'223'372'036'854'775'807.0;  // INT64_MAX: SQLite stores it

std::vector<KeyDef> BuildTable() {
  using C = JobConfig;
  constexpr auto kRequired = Default::kRequired;
  constexpr auto kDerived = Default::kDerived;
  std::vector<KeyDef> t = {
      {.name = "model", .field = &C::model, .models = kAll, .def = kRequired},
      {.name = "d", .field = &C::d, .models = kAll, .lo = 1, .hi = 1024, .def = kRequired},
      {.name = "r", .field = &C::r, .models = kAll, .lo = 1, .hi = 1024, .def = kDerived},
      {.name = "N", .field = &C::N, .models = kAll, .lo = 1, .hi = 65536, .def = kRequired},
      {.name = "link", .field = &C::link, .models = kAll},
      {.name = "tau", .field = &C::tau, .models = kAll, .lo = 0, .hi = 1000},
      {.name = "subspace", .field = &C::subspace, .models = kAll},
      {.name = "seed", .field = &C::seed, .models = kAll, .lo = 0, .hi = kSeedMax},
      {.name = "format", .field = &C::format, .models = kSeq, .def = kDerived},
      {.name = "eval_tasks",
       .field = &C::eval_tasks,
       .models = kAll,
       .lo = 1,
       .hi = kMaxInt,
       .training = false},
      {.name = "eval_lengths",
       .field = &C::eval_lengths,
       .models = kAll,
       .lo = 0,
       .hi = 65536,
       .training = false,
       .def = kDerived},
      {.name = "eps",
       .field = &C::eps,
       .models = kAll,
       .lo = 0,
       .hi = 1e6,
       .lo_open = true,
       .training = false},
      {.name = "steps", .field = &C::steps, .models = kSeq, .lo = 1, .hi = kMaxInt},
      {.name = "batch", .field = &C::batch, .models = kSeq, .lo = 1, .hi = 65536},
      {.name = "lr",
       .field = &C::lr,
       .models = kSeq,
       .lo = 0,
       .hi = 10,
       .lo_open = true,
       .def = kDerived},
      {.name = "clip", .field = &C::clip, .models = kSeq, .lo = 0, .hi = 1e6},
      {.name = "warmup",
       .field = &C::warmup,
       .models = kSeq,
       .lo = 0,
       .hi = kMaxInt,
       .def = kDerived},
      {.name = "schedule", .field = &C::schedule, .models = kSeq},
      {.name = "curriculum", .field = &C::curriculum, .models = kSeq},
      {.name = "curriculum_start",
       .field = &C::curriculum_start,
       .models = kSeq,
       .lo = 0,
       .hi = 1,
       .lo_open = true},
      {.name = "curriculum_ramp", .field = &C::curriculum_ramp, .models = kSeq, .lo = 0, .hi = 1},
      {.name = "L", .field = &C::L, .models = kSeq, .lo = 1, .hi = 64},
      {.name = "D", .field = &C::D, .models = kSeq, .lo = 1, .hi = 8192},
      {.name = "n", .field = &C::n, .models = kMamba, .lo = 1, .hi = 1024},
      {.name = "expand", .field = &C::expand, .models = kMamba, .lo = 1, .hi = 16},
      {.name = "conv", .field = &C::conv, .models = kMamba, .lo = 0, .hi = 64},
      {.name = "selective", .field = &C::selective, .models = kMamba},
      {.name = "H", .field = &C::H, .models = kTransformer, .lo = 1, .hi = 256},
      {.name = "attention", .field = &C::attention, .models = kTransformer},
      {.name = "gate", .field = &C::gate, .models = kTheory},
      {.name = "K1", .field = &C::K1, .models = kTheory, .lo = 1, .hi = 1'000'000},
      {.name = "T1", .field = &C::T1, .models = kTheory, .lo = 1, .hi = 1'000'000},
      {.name = "eta1", .field = &C::eta1, .models = kTheory, .lo = 0, .hi = 10, .lo_open = true},
      {.name = "lambda1", .field = &C::lambda1, .models = kTheory, .lo = 0, .hi = 10},
      {.name = "T2", .field = &C::T2, .models = kTheory, .lo = 1, .hi = kMaxInt},
      {.name = "lambda2",
       .field = &C::lambda2,
       .models = kTheory,
       .lo = 0,
       .hi = 1e6,
       .lo_open = true},
      {.name = "m", .field = &C::m, .models = kTheory, .lo = 1, .hi = 65536},
      {.name = "kernel", .field = &C::kernel, .models = kKrr},
      {.name = "features", .field = &C::features, .models = kKrr},
      {.name = "dtype", .field = &C::dtype, .models = kBuiltIn},
      {.name = "exec", .field = &C::exec, .models = kExec},
      {.name = "params", .field = &C::params, .models = kExec},
      {.name = "timeout", .field = &C::timeout, .models = kExec, .lo = 1, .hi = 604800},
      {.name = "threads", .field = &C::threads, .models = kAll, .lo = 1, .hi = 256},
  };
  // Canonical order = byte order of the names (what a sorted JSON object gives).
  std::sort(t.begin(), t.end(), [](const KeyDef& a, const KeyDef& b) { return a.name < b.name; });
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
    return KeyError(
        k, absl::StrCat(out, " out of range [", FormatBound(k.lo), ", ", FormatBound(k.hi), "]"));
  }
  return absl::OkStatus();
}

// absl::StrJoin formatter (this absl's AlphaNum takes no std::string_view).
void AppendName(std::string* out, std::string_view name) { out->append(name); }

template <typename E>
absl::StatusOr<E> ParseEnumImpl(std::string_view name) {
  const EnumTable t = TableOf(E{});
  for (size_t i = 0; i < t.names.size(); ++i) {
    if (t.names[i] == name) return E(i);
  }
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(t.key), ": unknown value \"", std::string(name),
                   "\" (expected one of: ", absl::StrJoin(t.names, ", ", AppendName), ")"));
}

// ReadValue overloads: one per field type, each checking type and the key's own range.
absl::Status ReadValue(const KeyDef& k, const json& v, std::string& out) {
  if (!v.is_string()) return KeyError(k, absl::StrCat("expected a string, got ", Describe(v)));
  out = v.get<std::string>();
  return absl::OkStatus();
}

template <typename E>
requires std::is_enum_v<E> absl::Status ReadValue(const KeyDef& k, const json& v, E& out) {
  if (!v.is_string()) return KeyError(k, absl::StrCat("expected a string, got ", Describe(v)));
  SWEEP_ASSIGN_OR_RETURN(out, ParseEnumImpl<E>(v.get_ref<const std::string&>()));
  return absl::OkStatus();
}

absl::Status ReadValue(const KeyDef& k, const json& v, bool& out) {
  if (!v.is_boolean())
    return KeyError(k, absl::StrCat("expected true or false, got ", Describe(v)));
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

// The free-form parameters of an exec job: checked and kept as canonical text.
absl::Status ReadValue(const KeyDef&, const json& v, ExecParams& out) {
  SWEEP_ASSIGN_OR_RETURN(out.json, CanonicalExecParams(v));
  return absl::OkStatus();
}

template <typename T>  // int, uint64_t
requires std::is_integral_v<T> absl::Status ReadValue(const KeyDef& k, const json& v, T& out) {
  int64_t x = 0;
  SWEEP_RETURN_IF_ERROR(ReadIntField(k, v, x));
  out = T(x);
  return absl::OkStatus();
}

absl::Status SetField(const KeyDef& k, const json& v, JobConfig& c) {
  return std::visit([&](auto member) { return ReadValue(k, v, c.*member); }, k.field);
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
        } else if constexpr (std::is_same_v<T, ExecParams>) {
          out += v.json;  // already canonical
        } else if constexpr (std::is_enum_v<T>) {
          out += Dump(json(TableOf(v).names[size_t(v)]));
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

void AppendMember(const KeyDef& k, const JobConfig& c, std::string& out) {
  out += out.size() > 1 ? ",\"" : "\"";
  out += k.name;
  out += "\":";
  AppendValue(k.field, c, out);
}

// In one pass: the canonical JSON of `c` into `*all` and that of its training keys into
// `*training` (each skipped when null). Both strings must start empty.
void WriteCanonical(const JobConfig& c, std::string* all, std::string* training) {
  const uint8_t model = ModelBit(c.model);
  for (std::string* out : {all, training}) {
    if (out != nullptr) out->push_back('{');
  }
  for (const KeyDef& k : Table()) {
    if (!Active(k, model, c)) continue;
    if (all != nullptr) AppendMember(k, c, *all);
    if (training != nullptr && k.training) AppendMember(k, c, *training);
  }
  for (std::string* out : {all, training}) {
    if (out != nullptr) out->push_back('}');
  }
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

absl::StatusOr<JobConfig> ResolveJobConfig(const json& given) {
  using keys_internal::CheckCrossKeys, keys_internal::FillDerived, keys_internal::NormalizeLink;
  if (!given.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("config: expected an object, got ", Describe(given)));
  }
  // `params.NAME` keys (sweep files) become members of `params` (canonical JSON).
  const bool dotted = std::any_of(given.items().begin(), given.items().end(), [](const auto& kv) {
    return std::string_view(kv.key()).starts_with("params.");
  });
  json merged;
  if (dotted) {
    merged = given;
    SWEEP_RETURN_IF_ERROR(MergeDottedParams(merged));
  }
  const json& partial = dotted ? merged : given;
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
  FillDerived(partial, c);
  NormalizeLink(c);
  SWEEP_RETURN_IF_ERROR(CheckCrossKeys(c));
  ResetInactive(model, c);
  return c;
}

std::string CanonicalJson(const JobConfig& config) {
  std::string out;
  WriteCanonical(config, &out, nullptr);
  return out;
}

std::string ConfigHash(const JobConfig& config) { return Sha256Hex(CanonicalJson(config)); }

std::string TrainingHash(const JobConfig& config) {
  std::string training;
  WriteCanonical(config, nullptr, &training);
  return Sha256Hex(training);
}

JobIdentity IdentifyJob(const JobConfig& config) {
  JobIdentity id;
  std::string training;
  WriteCanonical(config, &id.canonical_json, &training);
  id.config_hash = Sha256Hex(id.canonical_json);
  id.training_hash = Sha256Hex(training);
  return id;
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
  static const std::vector<std::string> models(std::begin(kModelNames), std::end(kModelNames));
  return models;
}

bool ModelUsesKey(std::string_view model, std::string_view key) {
  if (IsExecParamKey(key)) key = "params";
  const KeyDef* k = FindKey(key);
  absl::StatusOr<ModelKind> kind = ParseEnumImpl<ModelKind>(model);
  return k != nullptr && kind.ok() && (k->models & ModelBit(*kind)) != 0;
}

template <typename E>
std::span<const std::string_view> EnumNames() {
  return TableOf(E{}).names;
}

template <typename E>
std::string_view EnumName(E value) {
  return TableOf(value).names[size_t(value)];
}

template <typename E>
absl::StatusOr<E> ParseEnum(std::string_view name) {
  return ParseEnumImpl<E>(name);
}

// The enums of common/job_config.h are the only instantiations.
#define SWEEP_INSTANTIATE_ENUM(E)                            \
  template std::span<const std::string_view> EnumNames<E>(); \
  template std::string_view EnumName<E>(E);                  \
  template absl::StatusOr<E> ParseEnum<E>(std::string_view);
SWEEP_INSTANTIATE_ENUM(ModelKind)
SWEEP_INSTANTIATE_ENUM(PromptFormat)
SWEEP_INSTANTIATE_ENUM(Schedule)
SWEEP_INSTANTIATE_ENUM(Attention)
SWEEP_INSTANTIATE_ENUM(Gate)
SWEEP_INSTANTIATE_ENUM(KernelKind)
SWEEP_INSTANTIATE_ENUM(Features)
SWEEP_INSTANTIATE_ENUM(Dtype)
SWEEP_INSTANTIATE_ENUM(Subspace)
#undef SWEEP_INSTANTIATE_ENUM

bool IsTrainingKey(std::string_view key) {
  const KeyDef* k = FindKey(key);
  return k != nullptr && k->training;
}

}  // namespace sweep
