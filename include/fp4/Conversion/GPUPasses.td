//===- GPUPasses.td - fp4 GPU (NVPTX) passes ---------------*- tablegen -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_CONVERSION_GPUPASSES_TD
#define FP4_CONVERSION_GPUPASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertFP4ToGPU : Pass<"convert-fp4-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Lower fp4 ops to GPU-mapped parallel loops for one NVIDIA chip";
  let description = [{
    Replaces every `!fp4.qtensor` value by its storage (1-D tensor of codes
    and f32 scale, as `convert-fp4-to-standard` does) and every fp4 op by
    kernels: two-level `scf.parallel` nests on memrefs whose loops carry
    `#gpu.loop_dim_map` mappings (blocks, threads) and a `function` name, so
    that `convert-parallel-loops-to-gpu` turns each nest into one
    `gpu.launch` and `gpu-kernel-outlining` into one kernel of that name.
    Inputs reach the kernels through `bufferization.to_buffer`, results are
    fresh `memref.alloc` buffers returned with `bufferization.to_tensor`, so
    the output is tensor-level IR ready for one-shot bufferization.

    Kernels (SPEC-numerics bit for bit; every code is computed by the
    `FormatCodec` the CPU lowering uses):
    - quantize: one thread per 8 elements (grid-stride), two 4-bit codes
      per byte, stochastic rounding with the SPEC Philox scheme; the
      saturated/flushed/non-finite counters are per-thread partial counts
      reduced by a second kernel and summed on the host (exact integers).
    - dequantize: one thread per 8 elements.
    - gradscale / compute_scale: per-thread partial max (and, for SAWB, f64
      partial sums), a second reduction kernel, then the scalar logic on the
      host: for gradscale and amax the op itself applied to the one-element
      tensor {max|x|} and marked `fp4.host` (left for
      `convert-fp4-to-standard`, so both back ends share that logic), for
      SAWB the formula; gradscale then scales by an elementwise kernel.
    - lowp_matmul: on chips with FP8 tensor cores (sm_89, sm_90, sm_100a)
      and f32 accumulation of operands whose values are exact in e4m3
      (int4, uint4, e2m1, radix2_fp4, radix4, e4m3), the operands are first
      converted to zero-padded e4m3 matrices (radix4 odd codes as their even
      value, 2x; the factor is folded into the result scale), then each warp
      computes 32x32 of the result with inline-PTX
      `mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32`. Otherwise
      (sm_80, other formats, chunked f16 accumulation) both operands are
      decoded to f32 and one thread computes one result element with the
      CPU's k order (bit-identical to the CPU).
    - e2m1 nearest quantization on sm_100a uses the native
      `cvt.rn.satfinite.e2m1x2.f32` (`nvvm.convert.f32x2.to.f4x2`).

    Apart from the tensor-core and native-cvt paths, the kernels contain
    only upstream arith/vector/memref/scf ops, so with `chip=sm_80` the
    output also runs on the host (the loops run sequentially), which is how
    the kernels are tested bit for bit without a GPU.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::NVVM::NVVMDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::vector::VectorDialect"];
  let options = [
    Option<"chip", "chip", "std::string", /*default=*/"\"sm_80\"",
           "Target chip (sm_80, sm_89, sm_90, sm_100a): selects FP8 tensor "
           "cores and native e2m1 conversion">,
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block of the elementwise and reduction kernels (a "
           "multiple of 32, at most 1024)">,
    Option<"maxBlocks", "max-blocks", "int64_t", /*default=*/"1024",
           "Largest grid of the grid-stride elementwise kernels (bounds the "
           "number of per-thread partial results of a reduction)">
  ];
}

def FP4GPUSinkConstants : Pass<"fp4-gpu-sink-constants", "::mlir::ModuleOp"> {
  let summary = "Move constants and constant globals into the gpu.launch "
                "bodies that use them";
  let description = [{
    Clones into every `gpu.launch` body the constant-like ops (e.g.
    `arith.constant`, also of vector type) and the buffers of constant
    globals (`memref.get_global` and the side-effect-free views and casts
    of it) that are defined outside the launch and used inside it, so that
    `gpu-kernel-outlining` neither passes them as kernel arguments nor hands
    the device a host pointer: an outlined kernel that uses a global gets a
    copy of it in its `gpu.module` (a device `.global` with the same
    initializer). A launch that uses a non-constant global is
    an error: the host and the device would see different copies.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::memref::MemRefDialect"];
}

def FP4DumpPTX : Pass<"fp4-dump-ptx", "::mlir::ModuleOp"> {
  let summary = "Write the PTX of every gpu.binary to a file";
  let description = [{
    Writes the PTX text of every object in assembly (`isa`) format of every
    `gpu.binary` op to `output` ("-" for stdout), each preceded by a line
    `//--- NAME.CHIP.ptx`, the format of LLVM's `split-file`. The module is
    not changed. An object in another format is an error.
  }];
  let options = [
    Option<"output", "output", "std::string", /*default=*/"\"-\"",
           "File to write (\"-\" for stdout)">
  ];
}

#endif // FP4_CONVERSION_GPUPASSES_TD
