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

#include <string>

namespace mlir {
class DialectRegistry;
class OpPassManager;
class Operation;
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

  /// Code generation (docs/performance.md): tile, vectorize and parallelize
  /// the structured ops (`fp4-cpu-conv-to-gemm`,
  /// `fp4-cpu-tile-and-vectorize`). When unset, every structured op becomes
  /// scalar loops (`convert-linalg-to-loops`), the reference code; both
  /// compute the same bits (every sum in the same order, one rounding per
  /// multiply and add).
  Option<bool> vectorize{
      *this, "vectorize",
      llvm::cl::desc("Tile, vectorize and parallelize structured ops"),
      llvm::cl::init(true)};

  /// Threads of the parallel loops (OpenMP): 0 (default) uses every core
  /// (or OMP_NUM_THREADS at run time); 1 generates sequential code that
  /// needs no OpenMP runtime.
  Option<int64_t> threads{
      *this, "threads",
      llvm::cl::desc("Threads of the generated code (0: all cores, 1: no "
                     "OpenMP)"),
      llvm::cl::init(0)};

  /// Exact integer GEMMs for fp4.lowp_matmul on integer-valued formats
  /// (`fp4-lowp-matmul-to-integer`; only with `vectorize`).
  Option<bool> intMatmul{
      *this, "int-matmul",
      llvm::cl::desc("Lower integer-valued lowp_matmul to integer GEMMs"),
      llvm::cl::init(true)};

  /// The `bound` of `fp4-lowp-matmul-to-integer`: `f32-exact` (results
  /// bit-identical to f32 accumulation) or `int32`.
  Option<std::string> intMatmulBound{
      *this, "int-matmul-bound",
      llvm::cl::desc("Accumulations the integer GEMM accepts: f32-exact or "
                     "int32"),
      llvm::cl::init("f32-exact")};

  /// AVX512-VNNI code (vpdpbusd): `auto` (this machine's CPU), `on`, `off`.
  Option<std::string> vnni{
      *this, "vnni",
      llvm::cl::desc("Use AVX512-VNNI: auto (host), on or off"),
      llvm::cl::init("auto")};

  /// Entry functions that allocate large temporaries first tell glibc's
  /// malloc to keep freed memory (mallopt M_MMAP_THRESHOLD 32 MiB,
  /// M_TRIM_THRESHOLD 1 GiB): otherwise every training step gets its
  /// temporaries as fresh pages from the kernel and page-faults (and zeroes)
  /// them in again. Glibc hosts only.
  Option<bool> retainHeap{
      *this, "retain-heap",
      llvm::cl::desc("Make glibc's malloc keep freed memory for the next call "
                     "(entry functions with large temporaries)"),
      llvm::cl::init(true)};

  /// Static memory planning: an entry function's temporaries of 64 KiB or
  /// more live at fixed offsets of one arena per call, sized by their live
  /// ranges (about the static peak), instead of one heap block each.
  Option<bool> planMemory{
      *this, "plan-memory",
      llvm::cl::desc("Place entry functions' large temporaries at fixed "
                     "offsets of one arena per call"),
      llvm::cl::init(true)};
};

/// The environment variable FP4_CPU_PIPELINE_OPTIONS (pipeline option
/// syntax, e.g. "threads=1 vnni=off") overrides the options it names in
/// every CPU pipeline built (a knob for benchmarks and tests of tools that
/// build the pipeline themselves, like fp4-run and fp4-train).
///
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

/// Appends one-shot bufferization of the whole module, function signatures
/// included, with identity layouts at function boundaries (so callers pass
/// dense buffers), then a canonicalization. Shared by the CPU and GPU
/// pipelines.
void addModuleBufferization(mlir::OpPassManager &pm);

/// Adds to `registry` the upstream dialects the CPU pipeline creates and the
/// external interface models it relies on (bufferization, deallocation,
/// subset, value-bounds and convert-to-llvm interfaces), and the translation
/// of the OpenMP dialect to LLVM IR. Tools that run the
/// pipeline must have these in their context.
void registerCPUPipelineDependencies(mlir::DialectRegistry &registry);

/// True for the ops the CPU pipelines leave for translation to LLVM IR: the
/// LLVM dialect and the OpenMP dialect (parallel loops; translated with the
/// OpenMP IR builder registered by `registerCPUPipelineDependencies`).
bool isLoweredForCPU(mlir::Operation *op);

/// True when the project was built with an OpenMP runtime (libomp), which the
/// JIT-compiled parallel code calls; without it the pipelines generate
/// sequential code whatever `threads` says.
bool cpuPipelineHasOpenMP();

/// Registers `fp4-to-llvm` and `fp4-bufferize-to-llvm` with the global pass
/// pipeline registry (`fp4-opt --fp4-to-llvm`).
void registerPipelines();

} // namespace fp4

#endif // FP4_PIPELINES_PIPELINES_H
