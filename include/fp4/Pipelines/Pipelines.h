//===- Pipelines.h - fp4 lowering pipelines ---------------------*- C++ -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// Named pass pipelines that take tensor-level IR (with or without fp4 ops) all
// the way down to the LLVM dialect, ready for `mlir::ExecutionEngine` or
// `mlir-translate --mlir-to-llvmir`.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_PIPELINES_PIPELINES_H
#define FP4_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassOptions.h"

namespace mlir {
class DialectRegistry;
class OpPassManager;
} // namespace mlir

namespace fp4 {

/// Options of the CPU pipelines (`fp4-to-llvm`, `fp4-bufferize-to-llvm`).
struct CPUPipelineOptions
    : public mlir::PassPipelineOptions<CPUPipelineOptions> {
  /// Calling convention of tensor results. When set (the default), every
  /// tensor result of every function, public ones included, becomes a
  /// caller-allocated out-parameter appended after the original arguments
  /// (`buffer-results-to-out-params`), so no buffer ever escapes the callee
  /// and the callee frees everything it allocates. Such results must be
  /// statically shaped. When unset, tensor results are returned as memrefs
  /// that the caller owns and must free.
  Option<bool> outParams{
      *this, "out-params",
      llvm::cl::desc("Turn tensor results into caller-allocated out-params"),
      llvm::cl::init(true)};
};

/// Appends the full CPU pipeline: the fp4 lowering
/// (`fp4::addFP4ToStandardPasses`) followed by
/// `buildBufferizeToLLVMPipeline`. Anchored on `builtin.module`.
void buildCPUPipeline(mlir::OpPassManager &pm,
                      const CPUPipelineOptions &options);
void buildCPUPipeline(mlir::OpPassManager &pm);

/// Appends the upstream part of the CPU pipeline: one-shot bufferization of
/// upstream tensor-level IR (func, tensor, arith, math, scf, vector, linalg),
/// ownership-based deallocation, lowering of linalg to loops and of vector
/// ops, and conversion of everything to the LLVM dialect. Anchored on
/// `builtin.module`.
void buildBufferizeToLLVMPipeline(mlir::OpPassManager &pm,
                                  const CPUPipelineOptions &options);
void buildBufferizeToLLVMPipeline(mlir::OpPassManager &pm);

/// Adds to `registry` the upstream dialects the CPU pipeline creates and the
/// external interface models it relies on (bufferization, deallocation,
/// subset, value-bounds and convert-to-llvm interfaces). Tools that run the
/// pipeline must have these in their context.
void registerCPUPipelineDependencies(mlir::DialectRegistry &registry);

/// Registers `fp4-to-llvm` and `fp4-bufferize-to-llvm` with the global pass
/// pipeline registry (`fp4-opt --fp4-to-llvm`).
void registerPipelines();

} // namespace fp4

#endif // FP4_PIPELINES_PIPELINES_H
