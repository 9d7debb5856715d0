//===- KernelBuilder.h - GPU-mapped parallel loops for fp4 kernels -*- C++ -*-===//
//
// Part of the fp4 project.
//
// Emits the kernels of convert-fp4-to-gpu as two-level scf.parallel nests on
// memrefs: the outer loop over blocks carries the mapping `block_x` (and
// `block_y`) and the discardable attribute `function = @NAME`, the inner one
// over the threads of a block the mapping `thread_x`. The upstream
// `convert-parallel-loops-to-gpu` turns each nest into one `gpu.launch`
// (copying `function`, so that `gpu-kernel-outlining` names the kernel and
// its gpu.module NAME); on the host, the same loops run sequentially.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_LIB_CONVERSION_FP4TONVVM_KERNELBUILDER_H
#define FP4_LIB_CONVERSION_FP4TONVVM_KERNELBUILDER_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringSet.h"

#include <string>

namespace fp4::gpu_kernels {

class KernelBuilder {
public:
  /// How per-thread partial results are combined.
  enum class Combine { AddI, AddF, MaxF };

  KernelBuilder(mlir::ModuleOp module, int64_t blockSize, int64_t maxBlocks)
      : module(module), blockSize(blockSize), maxBlocks(maxBlocks) {}

  /// `base`, or `base_N`, not yet used as a stem, by a kernel or by a
  /// symbol of the module: the name of the kernels of one op (their names
  /// are the stem, or the stem and a suffix).
  std::string uniqueStem(llvm::StringRef base);

  /// Threads of a grid-stride kernel over `work` items: enough blocks for
  /// one item per thread, at most `maxBlocks` (at least one warp).
  int64_t getGridStrideThreads(int64_t work) const;

  /// Kernel NAME with `numThreads` threads (blocks of `blockSize`, the last
  /// one guarded); `body` gets the global thread index.
  void grid1D(mlir::OpBuilder &b, mlir::Location loc, llvm::StringRef name,
              int64_t numThreads,
              llvm::function_ref<void(mlir::OpBuilder &, mlir::Location,
                                      mlir::Value gid)>
                  body);

  /// Kernel NAME with a gridX x gridY grid of blocks of `threads` threads;
  /// `body` gets the block indices and the thread index in the block.
  void grid2D(mlir::OpBuilder &b, mlir::Location loc, llvm::StringRef name,
              int64_t gridX, int64_t gridY, int64_t threads,
              llvm::function_ref<void(mlir::OpBuilder &, mlir::Location,
                                      mlir::Value bx, mlir::Value by,
                                      mlir::Value tid)>
                  body);

  /// Kernel NAME with getGridStrideThreads(work) threads; `body` gets the
  /// global thread index and the number of threads (the stride).
  void gridStride(mlir::OpBuilder &b, mlir::Location loc, llvm::StringRef name,
                  int64_t work,
                  llvm::function_ref<void(mlir::OpBuilder &, mlir::Location,
                                          mlir::Value gid,
                                          mlir::Value numThreads)>
                      body);

  /// Combines the rows of `partials` (memref<K x T x type>) into K host
  /// scalars, in a fixed order: a second kernel reduces T > 1024 partials to
  /// 256 (thread r combines partials r, r + 256, ...), then the host
  /// combines the rest in index order.
  llvm::SmallVector<mlir::Value> reducePartials(mlir::OpBuilder &b,
                                                mlir::Location loc,
                                                llvm::StringRef name,
                                                mlir::Value partials,
                                                Combine combine);

private:
  mlir::ModuleOp module;
  int64_t blockSize;
  int64_t maxBlocks;
  /// `name`, or `name_N`, not yet used by a kernel or a symbol.
  std::string uniqueKernelName(llvm::StringRef name);

  llvm::StringSet<> stems;
  llvm::StringSet<> used;
};

} // namespace fp4::gpu_kernels

#endif // FP4_LIB_CONVERSION_FP4TONVVM_KERNELBUILDER_H
