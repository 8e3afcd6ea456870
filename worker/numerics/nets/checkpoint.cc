#include "worker/numerics/nets/checkpoint.h"

#include <bit>
#include <cstdint>
#include <cstring>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/job_keys.h"
#include "nlohmann/json.hpp"

namespace sweep::numerics::nets {
namespace {

static_assert(std::endian::native == std::endian::little,
              "safetensors is little-endian; add byte swapping for this platform");

constexpr char kFormat[] = "sweep-nets/1";

template <typename T>
constexpr const char* DType() {
  return sizeof(T) == 4 ? "F32" : "F64";
}

nlohmann::json Shape(const Mat<double>::Index rows, const Mat<double>::Index cols) {
  return cols == 1 ? nlohmann::json::array({rows}) : nlohmann::json::array({rows, cols});
}

template <typename T>
std::string Save(const JobConfig& config, const ParamSet<T>& params) {
  nlohmann::json header;
  header["__metadata__"] = {{"format", kFormat}, {"config", CanonicalJson(config)}};
  std::string data;
  for (const Param<T>& p : params.all()) {
    // Row-major copy: safetensors (and PyTorch) use C order.
    const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rm = p.w;
    const size_t begin = data.size();
    data.append(reinterpret_cast<const char*>(rm.data()), rm.size() * sizeof(T));
    header[p.name] = {{"dtype", DType<T>()},
                      {"shape", Shape(p.w.rows(), p.w.cols())},
                      {"data_offsets", {begin, data.size()}}};
  }
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  const uint64_t len = json.size();
  std::memcpy(out.data(), &len, 8);
  return out + json + data;
}

absl::Status Bad(const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("checkpoint: ", what));
}

// Copies one tensor's bytes into p.w after checking dtype, shape and bounds.
template <typename T>
absl::Status LoadTensor(const nlohmann::json& entry, std::string_view data, Param<T>& p) {
  if (!entry.is_object() || entry.value("dtype", "") != DType<T>()) {
    return Bad(absl::StrCat("tensor \"", p.name, "\": dtype is not ", DType<T>()));
  }
  if (entry.value("shape", nlohmann::json()) != Shape(p.w.rows(), p.w.cols())) {
    return Bad(absl::StrCat("tensor \"", p.name, "\": shape ",
                            entry.value("shape", nlohmann::json()).dump(), " != expected ",
                            Shape(p.w.rows(), p.w.cols()).dump()));
  }
  const nlohmann::json offsets = entry.value("data_offsets", nlohmann::json());
  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
      !offsets[1].is_number_unsigned()) {
    return Bad(absl::StrCat("tensor \"", p.name, "\": bad data_offsets"));
  }
  const uint64_t begin = offsets[0], end = offsets[1];
  if (end < begin || end > data.size() || end - begin != p.w.size() * sizeof(T)) {
    return Bad(absl::StrCat("tensor \"", p.name, "\": data_offsets [", begin, ", ", end,
                            "] do not hold ", p.w.size(), " values in ", data.size(), " bytes"));
  }
  Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rm(p.w.rows(), p.w.cols());
  std::memcpy(rm.data(), data.data() + begin, end - begin);
  p.w = rm;
  return absl::OkStatus();
}

template <typename T>
absl::Status LoadAll(const nlohmann::json& header, std::string_view data, ParamSet<T>& params) {
  std::set<std::string> expected;
  for (Param<T>& p : params.all()) {
    expected.insert(p.name);
    if (!header.contains(p.name)) return Bad(absl::StrCat("tensor \"", p.name, "\" is missing"));
    if (absl::Status s = LoadTensor(header[p.name], data, p); !s.ok()) return s;
  }
  for (const auto& [name, value] : header.items()) {
    if (name != "__metadata__" && !expected.contains(name)) {
      return Bad(absl::StrCat("unexpected tensor \"", name, "\" for this config"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<JobConfig> ConfigOf(const nlohmann::json& header) {
  const nlohmann::json meta = header.value("__metadata__", nlohmann::json());
  if (!meta.is_object() || meta.value("format", "") != kFormat || !meta.contains("config") ||
      !meta["config"].is_string()) {
    return Bad(absl::StrCat("__metadata__ must hold format \"", kFormat, "\" and a config"));
  }
  const nlohmann::json config =
      nlohmann::json::parse(meta["config"].get<std::string>(), nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded()) return Bad("__metadata__.config is not JSON");
  auto resolved = ResolveJobConfig(config);
  if (!resolved.ok())
    return Bad(absl::StrCat("config: ", std::string(resolved.status().message())));
  return resolved;
}

}  // namespace

std::string SaveCheckpoint(const TrainedModel& model) {
  return model.f32() ? Save(model.config(), model.f32()->params())
                     : Save(model.config(), model.f64()->params());
}

namespace {

struct Parsed {
  nlohmann::json header;
  std::string_view data;
};

absl::StatusOr<Parsed> Parse(std::string_view bytes) {
  uint64_t len = 0;
  if (bytes.size() < 8) return Bad("shorter than the 8-byte header length");
  std::memcpy(&len, bytes.data(), 8);
  if (len > bytes.size() - 8) return Bad(absl::StrCat("header length ", len, " exceeds the data"));
  Parsed p;
  p.header = nlohmann::json::parse(bytes.substr(8, len), nullptr, /*allow_exceptions=*/false);
  if (p.header.is_discarded() || !p.header.is_object()) return Bad("header is not a JSON object");
  p.data = bytes.substr(8 + len);
  return p;
}

absl::Status LoadInto(const Parsed& p, TrainedModel& model) {
  return model.f32() ? LoadAll(p.header, p.data, model.f32()->params())
                     : LoadAll(p.header, p.data, model.f64()->params());
}

absl::StatusOr<TrainedModel> Load(std::string_view bytes) {
  auto parsed = Parse(bytes);
  if (!parsed.ok()) return parsed.status();
  auto config = ConfigOf(parsed->header);
  if (!config.ok()) return config.status();
  auto model = TrainedModel::Create(*config);
  if (!model.ok()) return Bad(std::string(model.status().message()));
  if (absl::Status s = LoadInto(*parsed, *model); !s.ok()) return s;
  return model;
}

absl::Status LoadWeights(std::string_view bytes, TrainedModel& model) {
  auto parsed = Parse(bytes);
  if (!parsed.ok()) return parsed.status();
  return LoadInto(*parsed, model);
}

}  // namespace

absl::StatusOr<TrainedModel> LoadCheckpoint(std::string_view bytes) {
  // nlohmann::json throws on a wrongly typed field; this is the one adapter that calls
  // it, so its exceptions become a Status here (docs/design.md section 2.3).
  try {
    return Load(bytes);
  } catch (const nlohmann::json::exception& e) {
    return Bad(absl::StrCat("malformed header: ", e.what()));
  }
}

absl::Status LoadCheckpointWeights(std::string_view bytes, TrainedModel& model) {
  try {
    return LoadWeights(bytes, model);
  } catch (const nlohmann::json::exception& e) {
    return Bad(absl::StrCat("malformed header: ", e.what()));
  }
}

}  // namespace sweep::numerics::nets
