//===- FP4ToStandard.h - Lower fp4 ops to upstream tensor IR ---*- C++ -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_CONVERSION_FP4TOSTANDARD_H
#define FP4_CONVERSION_FP4TOSTANDARD_H

#include <cstdint>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace fp4 {

/// Appends the passes that rewrite every fp4 op and `!fp4.qtensor` value into
/// upstream tensor-level IR (tensor, arith, math, vector, scf, linalg) with
/// packed 4-bit storage. The output is ready for bufferization.
/// The conversion, canonicalize and CSE. `parallelChunk` > 0: the
/// elementwise loops run chunks of that many elements as scf.forall
/// iterations (multi-threaded code on the CPU).
void addFP4ToStandardPasses(mlir::OpPassManager &pm,
                            int64_t parallelChunk = 0);

} // namespace fp4

#endif // FP4_CONVERSION_FP4TOSTANDARD_H
