//===- CPUPasses.td - fp4 CPU code generation passes -------*- tablegen -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// The passes of the CPU back end that make compiled code fast: exact integer
// low-precision GEMMs, convolutions as GEMMs, and tiling, vectorization and
// multi-threading of the tensor-level structured ops (docs/performance.md).
//
//===----------------------------------------------------------------------===//

#ifndef FP4_TRANSFORMS_CPUPASSES_TD
#define FP4_TRANSFORMS_CPUPASSES_TD

include "mlir/Pass/PassBase.td"

def FP4LowpMatmulToInteger
    : Pass<"fp4-lowp-matmul-to-integer", "::mlir::func::FuncOp"> {
  let summary = "Lower fp4.lowp_matmul on integer-valued formats to an exact "
                "integer GEMM";
  let description = [{
    Rewrites `fp4.lowp_matmul` with f32 accumulation whose two operand
    formats take only values `i * 2^-s` with small integers `i` (int4, uint4,
    radix4 even/odd, radix2_fp4, e2m1) into an integer GEMM with i32
    accumulation:

    1. `fp4.unpack` both operands; decode the codes to integers in units of
       `2^-s` (`i8`, or `i16` when a magnitude exceeds 127/255, e.g. radix-4:
       4096 = 64 * 2^6) with a table computed from the numerics library, and
       lay them out in groups of 4 (`i8`) or 2 (`i16`) consecutive k values
       (`A[m, k/g, g]`, `B[k/g, n, g]`, k zero-padded to a multiple of g);
    2. a `linalg.generic` contraction `C[m,n] += ext(A[m,q,t]) * ext(B[q,n,t])`
       in i32 (on VNNI hardware `u8 x s8`, which `fp4-cpu-tile-and-vectorize`
       turns into `vpdpbusd`; otherwise `i16 x i16` pairs that LLVM turns into
       `vpmaddwd`/`vpdpwssd`); two signed operands are made unsigned by an
       offset `o` on A, corrected by `o * sum_k B[k,n]`;
    3. `C = f32(acc) * 2^-(sA+sB) / (scale(A) * scale(B))`, with NaN in every
       row/column whose operand holds a NaN code (radix-4 0b1000).

    The rewrite applies only where the shape proves `K * max|A| * max|B|`
    small enough (compile time): with `bound=f32-exact` (default) at most
    2^24, so that every partial sum of the f32 definition (k in increasing
    order from +0) is exact and the integer result is bit-identical to it;
    with `bound=int32` at most 2^31 - 1, where the result is the exactly
    rounded sum (it can differ from the f32 definition when partial sums
    exceed 2^24 units). Other ops are left to `convert-fp4-to-standard`.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::vector::VectorDialect"];
  let options = [
    Option<"vnni", "vnni", "bool", /*default=*/"false",
           "Target has AVX512-VNNI: lay out u8 x s8 quads for vpdpbusd "
           "(otherwise i16 pairs)">,
    Option<"bound", "bound", "std::string", /*default=*/"\"f32-exact\"",
           "Largest accumulation the integer path accepts: f32-exact "
           "(bit-identical to f32 accumulation) or int32">
  ];
}

def FP4CPUConvToGemm : Pass<"fp4-cpu-conv-to-gemm", "::mlir::func::FuncOp"> {
  let summary = "Rewrite 2-D convolutions and their weight-gradient "
                "contractions as GEMMs over an im2col buffer";
  let description = [{
    Rewrites `linalg.conv_2d_nchw_fchw`, `linalg.conv_2d_ngchw_gfchw` and the
    weight-gradient contraction of a convolution written as a
    `linalg.generic` (`dW[(g,)f,c,kh,kw] += X[n,(g,)c,oh*s+kh*d,ow*s+kw*d] *
    dY[n,(g,)f,oh,ow]`, lib/Autodiff) into, per image, an im2col copy
    `col[c*KH*KW, OH*OW]` (row copies of the strided input windows) and a
    GEMM on it, inside a loop over the images (an `scf.forall` when there
    are at least `threads` images). The GEMMs are `linalg.generic`
    contractions that `fp4-cpu-tile-and-vectorize` tiles and vectorizes; the
    summation order over the reduction dimensions is the original loop order.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
  let options = [
    Option<"threads", "threads", "int64_t", /*default=*/"0",
           "Threads the code runs on (0: all cores of this machine)">
  ];
}

def FP4CPUTileAndVectorize
    : Pass<"fp4-cpu-tile-and-vectorize", "::mlir::func::FuncOp"> {
  let summary = "Tile, vectorize and parallelize tensor-level linalg ops for "
                "CPUs";
  let description = [{
    For every statically shaped linalg op on tensors:

    - contractions (matmul, batch_matmul, transposed-map and generic
      contractions, the f32 contraction of `fp4.lowp_matmul`, the integer
      GEMM of `fp4-lowp-matmul-to-integer`): the operand that carries the
      result's innermost dimension is transposed if that dimension is not
      its innermost one; the op is split so that full register tiles cover
      its main part; it is tiled with an `scf.forall` over cache blocks
      (threads), an `scf.for` over reduction blocks, `scf.for`s over
      register tiles (8 x 32 f32) and a unit-step loop over k, and each
      register tile becomes one FMA per row and lane group (a broadcast
      element of the lhs times a vector of the rhs), or for the integer
      GEMMs a quad (u8 x s8, see `fp4-cpu-x86-vnni`) or pair (i16,
      `vpmaddwd`) dot product per lane. The accumulator tile lives in registers across
      the k loop. Reduction dimensions are never split across threads or
      vector lanes: every output element sums over k in increasing order.
    - other linalg ops (elementwise, broadcasts, transposes, reductions,
      fills, copies): tiled to vectors of up to 64 elements along the
      result's innermost dimension (unit tiles elsewhere, an `scf.forall`
      over the outermost parallel dimension when the op is large) and
      vectorized; reductions keep their sequential order.
    - `tensor.pad` becomes a fill and a vectorizable copy.

    Ops the vectorizer does not support are left unchanged.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::ub::UBDialect",
                           "::mlir::vector::VectorDialect"];
  let options = [
    Option<"threads", "threads", "int64_t", /*default=*/"0",
           "Threads the code runs on (0: all cores of this machine); 1 "
           "creates no parallel loops">,
    Option<"minParallelWork", "min-parallel-work", "int64_t",
           /*default=*/"65536",
           "Smallest iteration count (multiply-adds for contractions) worth "
           "an scf.forall">
  ];
}

def FP4CPUX86VNNI : Pass<"fp4-cpu-x86-vnni", "::mlir::func::FuncOp"> {
  let summary = "Use AVX512-VNNI vpdpbusd for u8 x s8 quad dot products";
  let description = [{
    Replaces the 512-bit quad dot product that `fp4-cpu-tile-and-vectorize`
    emits for `u8 x s8` contractions,

    ```mlir
    %p = arith.muli (arith.extui %a : vector<64xi8> to vector<64xi32>),
                    (arith.extsi %b : vector<64xi8> to vector<64xi32>)
    %s = sum of vector.shuffle %p, %p [t, 4+t, ..., 60+t] for t = 0..3
    %r = arith.addi %acc, %s : vector<16xi32>
    ```

    by `llvm.x86.avx512.vpdpbusd.512(%acc, %a, %b)`. It runs after
    bufferization: the intrinsic call has unknown memory effects, which the
    deallocation passes reject. Only for CPUs with AVX512-VNNI.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // FP4_TRANSFORMS_CPUPASSES_TD
