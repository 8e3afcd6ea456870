// Parsing of `sweep predict`'s prompts file (see predict.h). nlohmann::json is used with
// exceptions off (parse) and type checks before every get<>, so nothing throws.
#include "absl/strings/str_cat.h"
#include "client/predict.h"
#include "common/status.h"
#include "nlohmann/json.hpp"

namespace sweep::client {
namespace {

using Json = nlohmann::json;

absl::Status Bad(const std::string& field, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

// A JSON array of numbers; `want` >= 0 fixes its length.
absl::StatusOr<std::vector<double>> Numbers(const Json& j, const std::string& field, int want) {
  if (!j.is_array()) return Bad(field, "expected an array of numbers");
  if (want >= 0 && static_cast<int>(j.size()) != want) {
    return Bad(field, absl::StrCat(j.size(), " values, expected ", want));
  }
  std::vector<double> out;
  for (size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_number()) return Bad(absl::StrCat(field, "[", i, "]"), "not a number");
    out.push_back(j[i].get<double>());
  }
  return out;
}

// Rows of equal length (`width` < 0: taken from the first row) as the columns of a matrix.
absl::StatusOr<Eigen::MatrixXd> Columns(const Json& j, const std::string& field, int width) {
  if (!j.is_array()) return Bad(field, "expected an array of arrays of numbers");
  if (width < 0 && !j.empty()) width = j[0].is_array() ? static_cast<int>(j[0].size()) : -1;
  Eigen::MatrixXd m(std::max(width, 0), j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    SWEEP_ASSIGN_OR_RETURN(std::vector<double> v,
                           Numbers(j[i], absl::StrCat(field, "[", i, "]"), width));
    for (int r = 0; r < width; ++r) m(r, static_cast<Eigen::Index>(i)) = v[r];
  }
  return m;
}

absl::StatusOr<numerics::PromptBatch> ParsePrompt(const Json& j, const std::string& field) {
  if (!j.is_object()) return Bad(field, "expected an object with x, y and query");
  for (const char* key : {"x", "y", "query"}) {
    if (!j.contains(key)) return Bad(absl::StrCat(field, ".", key), "missing");
  }
  SWEEP_ASSIGN_OR_RETURN(std::vector<double> query, Numbers(j["query"], field + ".query", -1));
  if (query.empty()) return Bad(field + ".query", "empty (needs d >= 1 values)");
  const int d = static_cast<int>(query.size());
  SWEEP_ASSIGN_OR_RETURN(Eigen::MatrixXd x, Columns(j["x"], field + ".x", d));
  const int N = static_cast<int>(x.cols());
  SWEEP_ASSIGN_OR_RETURN(std::vector<double> y, Numbers(j["y"], field + ".y", N));
  numerics::PromptBatch p;
  p.count = 1;
  p.N = N;
  p.d = d;
  p.x.resize(d, N + 1);
  p.x.leftCols(N) = x;
  p.x.col(N) = Eigen::Map<const Eigen::VectorXd>(query.data(), d);
  p.y = Eigen::VectorXd::Zero(N + 1);  // the query's label is unknown: never read
  p.y.head(N) = Eigen::Map<const Eigen::VectorXd>(y.data(), N);
  p.beta = Eigen::MatrixXd::Zero(d, 1);
  return p;
}

}  // namespace

absl::StatusOr<PredictInput> ParsePredictInput(const std::string& json_text) {
  const Json j = Json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Bad("prompts file", "not valid JSON");
  if (!j.is_object() || (j.contains("prompts") == j.contains("sequences"))) {
    return Bad("prompts file", "expected an object with exactly one of \"prompts\", \"sequences\"");
  }
  PredictInput in;
  in.raw_tokens = j.contains("sequences");
  const std::string list = in.raw_tokens ? "sequences" : "prompts";
  const Json& items = j[list];
  if (!items.is_array() || items.empty()) return Bad(list, "expected a non-empty array");
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string field = absl::StrCat(list, "[", i, "]");
    if (in.raw_tokens) {
      SWEEP_ASSIGN_OR_RETURN(Eigen::MatrixXd tokens, Columns(items[i], field, -1));
      if (tokens.cols() == 0 || tokens.rows() < 2) {
        return Bad(field, "expected at least one token of d + 1 >= 2 numbers");
      }
      in.sequences.push_back(std::move(tokens));
    } else {
      SWEEP_ASSIGN_OR_RETURN(numerics::PromptBatch p, ParsePrompt(items[i], field));
      in.prompts.push_back(std::move(p));
    }
  }
  return in;
}

}  // namespace sweep::client
