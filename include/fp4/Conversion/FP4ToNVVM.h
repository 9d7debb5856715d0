//===- FP4ToNVVM.h - fp4 GPU (NVPTX) passes and chip table -----*- C++ -*-===//
//
// Part of the fp4 project.
//
// The passes of the GPU lowering (include/fp4/Conversion/GPUPasses.td) and
// the table of NVIDIA chips the project generates code for: for each chip
// the PTX ISA version passed to LLVM's NVPTX back end and the hardware
// features the kernels use. LLVM aborts on a chip/PTX pair it does not
// accept, so every entry point checks the chip against this table first.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_CONVERSION_FP4TONVVM_H
#define FP4_CONVERSION_FP4TONVVM_H

#include "fp4/Dialect/FP4/IR/FP4Dialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace fp4 {

#define GEN_PASS_DECL
#include "fp4/Conversion/GPUPasses.h.inc"

#define GEN_PASS_REGISTRATION
#include "fp4/Conversion/GPUPasses.h.inc"

/// Adds the interface models the GPU lowering relies on (a no-memory-effect
/// model for `nvvm.convert.f32x2.to.f4x2`, which LLVM 22.1 lacks).
/// `convert-fp4-to-gpu` adds them to its context itself.
void registerGPUConversionInterfaces(mlir::DialectRegistry &registry);

/// One NVIDIA chip the GPU lowering supports.
struct GPUChip {
  /// LLVM/PTX name: "sm_90".
  llvm::StringRef name;
  /// PTX ISA version, times ten (84 = PTX ISA 8.4): the lowest version that
  /// LLVM 22 accepts for the chip and that has every instruction the
  /// kernels use on it (mma.sync e4m3 needs 8.4, cvt e2m1x2 needs 8.6).
  unsigned ptxVersion;
  /// Dense FP8 (e4m3) tensor-core MMA, `mma.sync.aligned.m16n8k32` (sm_89+).
  bool hasFP8MMA;
  /// Native f32 -> e2m1x2 conversion, `cvt.rn.satfinite.e2m1x2.f32` (sm_100a).
  bool hasE2M1Convert;

  /// The target features for LLVM: "+ptx84".
  std::string getPTXFeature() const;
};

/// Returns the chip named `name`, or null if it is not supported.
const GPUChip *lookupGPUChip(llvm::StringRef name);

/// "sm_80, sm_89, sm_90, sm_100a".
std::string getSupportedGPUChips();

/// Returns the chip or the one-line error "unknown chip 'NAME' (supported:
/// sm_80, sm_89, sm_90, sm_100a)".
llvm::Expected<const GPUChip *> checkGPUChip(llvm::StringRef name);

/// The chip whose code runs on a device of compute capability
/// major.minor, or null: 8.x (x != 9) -> sm_80, 8.9 -> sm_89, 9.0 -> sm_90,
/// 10.0 -> sm_100a.
const GPUChip *getGPUChipForComputeCapability(int major, int minor);

} // namespace fp4

#endif // FP4_CONVERSION_FP4TONVVM_H
