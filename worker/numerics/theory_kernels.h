// The two per-prompt contractions of mamba-theory (docs/science.md section 3) over the
// context block X of one prompt, (d, n) column-major, column j = x_j:
//   TwoDots:   qa_j = x_j^T a,  qb_j = x_j^T b          (forward: q and the gate input)
//   TwoAxpys:  oa = sum_j a_j x_j,  ob = sum_j b_j x_j    (backward: X dq and X dpre)
// Each reads X once for both results: at the reference shape a stage-1 batch's X is 16 MB,
// out of cache, and two Eigen matrix-vector products per pass read it twice. With AVX2
// and d a multiple of 4 up to 16 (the paper's d = 16 among them) the kernels keep their
// partial sums in registers; otherwise a scalar loop does the same sums. Both are
// deterministic: the order of every sum depends only on d and n.
#pragma once

namespace sweep::numerics {

void TwoDots(const double* X, int d, int n, const double* a, const double* b, double* qa,
             double* qb);
void TwoAxpys(const double* X, int d, int n, const double* a, const double* b, double* oa,
              double* ob);

}  // namespace sweep::numerics
