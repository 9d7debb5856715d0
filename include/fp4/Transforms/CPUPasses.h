//===- CPUPasses.h - fp4 CPU code generation passes ---------------*- C++ -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_TRANSFORMS_CPUPASSES_H
#define FP4_TRANSFORMS_CPUPASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::linalg {
class GenericOp;
} // namespace mlir::linalg

namespace fp4 {

#define GEN_PASS_DECL
#include "fp4/Transforms/CPUPasses.h.inc"

#define GEN_PASS_REGISTRATION
#include "fp4/Transforms/CPUPasses.h.inc"

/// Number of threads the CPU code is tiled for when an option says 0: the
/// OpenMP runtime's default (OMP_NUM_THREADS, else the hardware concurrency
/// of this machine), at least 1.
int64_t getDefaultCPUThreads();

/// True when the project links an OpenMP runtime (libomp) for the parallel
/// loops of the generated code.
bool hasOpenMPRuntime();

/// True if this machine's CPU has AVX512-VNNI (vpdpbusd on 512-bit vectors).
bool hostHasAVX512VNNI();

/// True for a linalg.generic that only moves elements: one input, one init,
/// all loops parallel, its body `yield %in` (a transpose, or the flipped,
/// channel-swapped filter of a convolution's input gradient).
bool isElementMove(mlir::linalg::GenericOp g);

} // namespace fp4

#endif // FP4_TRANSFORMS_CPUPASSES_H
