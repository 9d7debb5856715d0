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

    Low-precision convolutions: `fp4-apply-recipe` writes a quantized
    convolution as `linalg.conv_2d_nchw_fchw {fp4.lowp}` on operands in
    format units (`fp4.dequantize(fp4.pack(codes, 1.0))`, followed for the
    input gradient by the zero padding of dY and the flip of the filter)
    from a zero fill. When both formats are integer-valued, the bound holds
    for `K = C * KH * KW` and there are at least 32 filters, the convolution
    becomes the same integer GEMM over the whole batch:
    `W[F, K] x col[K, N * OH * OW]`, with the padding, the flip and the
    im2col windows applied to the decoded integers (one `scf.forall`
    iteration per k), then `f32(acc) * 2^-s` transposed to `[N, F, OH, OW]`.
    Forward convolutions (uint4/int4 x int4) and input gradients (radix-4
    dY x int4; i16 pairs, `K * 4096 * 7 <= 2^24` up to 64 channels of 3 x 3)
    qualify. A NaN code (radix-4 0b1000) makes the f32 sums NaN across its
    window, and int4's code -8, which `fp4.quantize` never writes, would
    break the bound where it is taken as 7: an `scf.if` on a scan of the
    codes takes the original f32 convolution when either occurs (tagged
    `fp4.cold`: `fp4-cpu-conv-to-gemm` and `fp4-cpu-tile-and-vectorize`
    leave it to scalar loops, the same bits in less code). Every
    partial sum is exact in both forms, so the result is the f32
    convolution's to the bit. Below 32 filters the layout work costs more
    than the faster products save (docs/performance.md); a stride-dilated
    dY (strided layers) keeps the f32 convolution, which skips its stuffed
    zeros.
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
                "contractions as GEMMs over im2col buffers";
  let description = [{
    Rewrites `linalg.conv_2d_nchw_fchw`, `linalg.conv_2d_ngchw_gfchw` and the
    weight-gradient contraction of a convolution written as a
    `linalg.generic` (`dW[(g,)f,c,kh,kw] += X[n,(g,)c,oh*s+kh*d,ow*s+kw*d] *
    dY[n,(g,)f,oh,ow]`, lib/Autodiff) into GEMMs over im2col buffers
    `col[c*KH*KW, OH*OW]` filled by `linalg.copy`s of the (strided) input
    windows:

    - forward and input-gradient convolutions: per image (and group),
      `out[f, p] += W[f, q] * col[q, p]`, in an `scf.forall` over the images
      when there are at least `threads` of them (else an `scf.for`, and the
      GEMMs get the threads). Ungrouped convolutions with fewer than 256
      output pixels per image take a chunk of images per GEMM (the smallest
      divisor of the batch with at least 256 columns, col of at most
      4 MiB): `out[f, (i, p)] += W[f, q] * col[q, (i, p)]`, the chunk's
      accumulator transposed from [i, f, p] to [f, i, p] and back, so the
      vectors run along the chunk's pixels, not one small image's;
    - weight gradients: `dW^T[q, f] += col[q, (n, p)] * dY^T[(n, p), f]` over
      chunks of images (col of at most 4 MiB), `dY` transposed once, then
      `dW` = transpose(`dW^T`).

    The GEMMs are `linalg.matmul`s that `fp4-cpu-tile-and-vectorize` tiles
    and vectorizes. Every output element still sums its products in the
    original loop order (c, kh, kw for a convolution; n, oh, ow for a weight
    gradient), with one rounding per multiply and add: the results are the
    bits of the scalar loops.

    A stride-1 convolution over a zero-stuffed input (`tensor.pad` of a
    strided `tensor.insert_slice` into +0, as lib/Autodiff builds the input
    gradient of a strided convolution) is first split by output phase: per
    phase, a convolution of the unstuffed input with the sub-filter of the
    taps that meet nonzero rows, its results inserted with the stride. The
    products of stuffed zeros are skipped (s x s fewer products); since every
    sum starts at +0, skipping zero products keeps the bits (for finite
    filters: a non-finite filter value times a stuffed zero, NaN before, is
    now not computed). Phases of few pixels get several images per GEMM
    like any small convolution.

    Taps that read only zero padding are dropped: for a convolution whose
    input is a `tensor.pad` of +0 and whose output is a fill of +0, the
    taps (kh, kw) for which no output position reads a row or column of
    the pad's source are left out. A forward or input-gradient convolution
    gets the sub-filter of the remaining taps (a flipped filter that only
    moves another tensor's elements is rebuilt for just those taps) and the
    window of the padded input they read; a weight gradient computes only
    those taps of dW, inserted into the zeros of its output. A 3 x 3 filter
    on a 1 x 1 input keeps 1 of its 9 taps (resnet18's layer 4). The bits
    are kept as for the stuffed zeros (a non-finite filter or dY value times
    padding, NaN before, is not computed).

    A 1 x 1 filter needs no window copies: its columns are the (strided)
    image, and for several images per GEMM one transpose of their
    (strided) slice.
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
      (sized so that the blocks balance the threads), an `scf.for` over
      blocks of k, and `scf.for`s over register tiles (6 rows x 4 vector
      registers, or 8 x 2 / 8 x 1 for narrow results); each register tile
      becomes an `scf.for` over k carrying one accumulator vector per row
      and register (24 of the 32 zmm registers): a broadcast lhs element
      times a rhs vector, added (two roundings, no FMA) for floats; a quad
      (u8 x s8, see `fp4-cpu-x86-vnni`) or pair (i16, `vpmaddwd`) dot
      product per lane for the integer GEMMs. Reduction dimensions are never
      split across threads or vector lanes: every output element sums over
      k in increasing order, as the scalar loops do.
    - other linalg ops (elementwise, broadcasts, transposes, reductions,
      fills, copies): generalized, their innermost contiguous dims merged,
      tiled to vectors of up to 64 elements along the result's innermost
      dimension (16 x 16 tiles for transposing copies, 2-D tiles for short
      rows), unit tiles elsewhere, an `scf.forall` over the outermost
      parallel dimension when the op is large, and vectorized; reductions
      keep their sequential order. A reduction whose lanes are not
      contiguous in an input that is contiguous along a reduction dim
      (BatchNorm's per-channel sums over n and h * w, its innermost
      reduction dims merged) gets 16 x 16 tiles: 16 contiguous rows read,
      transposed in registers and combined row by row into the
      accumulator (the rest of a reduced extent that 16 does not divide
      follows in each outer iteration, one element at a time). Ops on i1
      tensors are left alone (vectors of i1 are packed bits, buffers of i1
      are bytes); a scalar i1 operand is broadcast.
    - Reductions over the KH x KW windows of an NCHW input (stride S, no
      dilation: `linalg.pooling_nchw_max`, and the arg-max generic of its
      gradient): per image (an `scf.forall` over the images with threads),
      channel and output row, vectors of up to 16 outputs along the row;
      per tap, in the op's order, one contiguous read of the input span
      the windows cover, every S-th lane taken by a shuffle, and the op's
      body applied lane by lane. The bits of the scalar loops.
    - `tensor.pad` becomes a fill and a vectorizable copy, a strided
      `tensor.insert_slice` a vectorizable copy into the strided slice, and
      a fill that several ops write into or that initializes several loops
      (`scf.for` init args, `scf.forall` outputs) is duplicated per writer
      (one shared fill would bufferize to a copy per writer).

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

def FP4CPUEarlyDealloc : Pass<"fp4-cpu-early-dealloc", "::mlir::func::FuncOp"> {
  let summary = "Allocate each buffer at its first use and free each "
                "temporary right after its last use";
  let description = [{
    MLIR's ownership-based buffer deallocation frees the buffers a block
    allocates at the end of the block: in a training step, one straight-line
    function, every temporary of the forward and backward passes stayed
    allocated until the step returned. This pass moves each unconditional
    `memref.dealloc` of a `memref.alloc` of the same block to right after
    the last op of the block that uses the buffer or a value aliasing it
    (any memref result of an op that uses it, transitively: views, casts,
    reshapes, loops that yield it). A buffer that escapes - returned, or
    aliased by a value used after the block - keeps its dealloc where it is.

    Each `memref.alloc` of the block also moves down to right before the
    first op of the block that uses it: bufferization allocates where the
    `tensor.empty` that seeded a result was, which CSE may have left far
    above the op that writes it.

    The step's peak memory is then the buffers live at one time (the saved
    activations plus the temporaries of one layer), not all of them
    (docs/performance.md).

    Last, a static buffer allocated and freed within one iteration of an
    `scf.for` (no alias leaves the iteration) is allocated before the loop
    and freed after it, out of every enclosing `scf.for` but not out of a
    parallel loop or a conditional: one allocation per loop instead of one
    per iteration (the chunked convolutions' transposes, once per chunk of
    images).

    ```mlir
    %a = memref.alloc() : memref<64xf32>
    call @use(%a) : (memref<64xf32>) -> ()
    call @other() : () -> ()
    memref.dealloc %a : memref<64xf32>
    // becomes
    %a = memref.alloc() : memref<64xf32>
    call @use(%a) : (memref<64xf32>) -> ()
    memref.dealloc %a : memref<64xf32>
    call @other() : () -> ()
    ```
  }];
}

def FP4CPUOutlineLoops : Pass<"fp4-cpu-outline-loops", "::mlir::ModuleOp"> {
  let summary = "Move each top-level loop nest and parallel region into a function";
  let description = [{
    Moves every op with regions at the top level of a function (an OpenMP
    `omp.parallel` region, an `scf.for` loop nest, a `linalg.generic` left
    for loops) into a new private function, `@<function>_par<N>` or
    `@<function>_loop<N>`, called in its place. The values the op uses from
    above become the new function's arguments, its results the function's
    results; constants are cloned into it instead, so their values stay
    visible to later folding. The new functions have internal linkage and
    are never inlined (`passthrough = ["noinline"]`), or LLVM would inline
    each back into its single caller.

    Nests that come out identical once outlined (the same argument types,
    constants and body, compared with `OperationEquivalence`, from whichever
    function) call one shared function: a ResNet's repeated blocks and their
    BatchNorm and ReLU loops compile once (resnet18's training step: 1023
    nests, 296 functions).

    Why: the translation to LLVM IR outlines each `omp.parallel` region
    again, and each of those outlinings scans the whole enclosing function,
    which is quadratic with the hundreds of parallel regions of a training
    step (14 s of the small ResNet's 20 s translation before this pass);
    and LLVM's optimizer is superlinear in the size of a function (the
    small ResNet's serial `@train_step`, 133,000 lines of LLVM IR, took
    10 s of `opt -O3`). A call per loop nest costs nanoseconds next to the
    loop it runs.

    ```mlir
    func.func @f(%m: memref<64xf32>) {
      omp.parallel { ... %m ... omp.terminator }
      return
    }
    // becomes
    func.func @f(%m: memref<64xf32>) {
      call @f_par0(%m) : (memref<64xf32>) -> ()
      return
    }
    func.func private @f_par0(%m: memref<64xf32>) {
      omp.parallel { ... %m ... omp.terminator }
      return
    }
    ```
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::LLVM::LLVMDialect"];
}

#endif // FP4_TRANSFORMS_CPUPASSES_TD
