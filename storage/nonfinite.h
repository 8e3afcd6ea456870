// NaN-safe metric columns. SQLite has no NaN: binding one stores NULL, which would turn a
// diverged metric into "missing" (docs/design.md section 5.4). Rows with metrics
// carry an INTEGER nan_mask; bit i set means metric i of the row is NaN and its REAL
// column holds NULL. +-Inf round-trip as REAL. The bit numbers are part of the schema
// (docs/schema.md).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include "storage/sqlite.h"

namespace sweep::storage {

// Bits of results.nan_mask.
enum ResultNanBit {
  kResMse = 0,
  kResNmse = 1,
  kResEy2 = 2,
  kResWall = 3,
  kResTrain = 4,
  kResEval = 5
};
// Bits of eval_curves.nan_mask and loss_curves.nan_mask.
enum CurveNanBit { kCurveMse = 0, kCurveSe = 1, kCurveNmse = 2 };
enum LossNanBit { kLoss = 0 };

// Binds `v` at parameter `index`, recording a NaN in `mask`.
inline void BindMetric(Statement& stmt, int index, double v, int bit, int64_t& mask) {
  if (std::isnan(v)) {
    mask |= int64_t{1} << bit;
    stmt.BindNull(index);
  } else {
    stmt.Bind(index, v);
  }
}

// Reads metric column `col`; NaN when its bit is set (or, defensively, when NULL).
inline double ReadMetric(const Statement& stmt, int col, int64_t mask, int bit) {
  if (((mask >> bit) & 1) != 0 || stmt.IsNull(col)) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  return stmt.Real(col);
}

}  // namespace sweep::storage
