//===- Pipelines.cpp - fp4 lowering pipelines -----------------------------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// The CPU pipeline, from tensor-level IR to the LLVM dialect
// (docs/performance.md):
//
//   func.func(fp4-lowp-matmul-to-integer)        (fp4-to-llvm, vectorize,
//                                                 int-matmul)
//   fp4::addFP4ToStandardPasses                  (fp4-to-llvm only)
//   func.func(fp4-drop-backward-decode-tags)     (this file)
//   inline, func.func(convert-elementwise-to-linalg)
//   func.func(fp4-cpu-conv-to-gemm,               (vectorize)
//             fp4-cpu-tile-and-vectorize), canonicalize
//   func.func(fp4-distinct-results,               (this file)
//             fp4-split-distant-empties)
//   one-shot-bufferize{bufferize-function-boundaries
//                      function-boundary-type-conversion=identity-layout-map}
//   canonicalize
//   buffer-results-to-out-params{hoist-static-allocs
//                                modify-public-functions}   (out-params=true)
//   buffer-deallocation-pipeline                 ownership-based deallocation
//   convert-bufferization-to-memref
//   func.func(fp4-cpu-early-dealloc)
//   scf-forall-to-parallel, convert-scf-to-openmp{num-threads}, canonicalize
//     (threads != 1 and OpenMP available; else scf-forall-to-for)
//   func.func(fp4-cpu-x86-vnni)                  (vectorize, VNNI CPUs)
//   fp4-cpu-retain-heap                          (retain-heap, glibc)
//   fp4-cpu-outline-loops
//   func.func(convert-linalg-to-loops)           (what is left)
//   func.func(lower-vector-mask, lower-vector-multi-reduction,
//             convert-vector-to-scf)
//   expand-strided-metadata, lower-affine, convert-scf-to-cf
//   arith-expand, math-extend-to-supported-types
//   convert-math-to-llvm, convert-math-to-libm
//   convert-vector-to-llvm, convert-openmp-to-llvm, convert-to-llvm,
//   reconcile-unrealized-casts
//
//===----------------------------------------------------------------------===//

#include "fp4/Pipelines/Pipelines.h"

#include "fp4/Conversion/FP4ToStandard.h"
#include "fp4/Transforms/CPUPasses.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVM.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/OpenMPToLLVM/ConvertOpenMPToLLVM.h"
#include "mlir/Conversion/SCFToOpenMP/SCFToOpenMP.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVM.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/IR/ValueBoundsOpInterfaceImpl.h"
#include "mlir/Dialect/Arith/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/Arith/Transforms/BufferViewFlowOpInterfaceImpl.h"
#include "mlir/Dialect/Arith/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/ControlFlow/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/ControlFlow/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Index/IR/IndexDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Linalg/Transforms/AllInterfaces.h"
#include "mlir/Dialect/Linalg/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Linalg/Transforms/SubsetInsertionOpInterfaceImpl.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/IR/ValueBoundsOpInterfaceImpl.h"
#include "mlir/Dialect/MemRef/Transforms/AllocationOpInterfaceImpl.h"
#include "mlir/Dialect/MemRef/Transforms/BufferViewFlowOpInterfaceImpl.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/IR/ValueBoundsOpInterfaceImpl.h"
#include "mlir/Dialect/SCF/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/SCF/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/IR/TensorInferTypeOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/IR/ValueBoundsOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/Transforms/SubsetInsertionOpInterfaceImpl.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/ValueBoundsOpInterfaceImpl.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Vector/Transforms/Passes.h"
#include "mlir/Dialect/Vector/Transforms/SubsetOpInterfaceImpl.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

using namespace mlir;

bool fp4::cpuPipelineHasOpenMP() { return hasOpenMPRuntime(); }

bool fp4::isLoweredForCPU(Operation *op) {
  return isa<LLVM::LLVMDialect, omp::OpenMPDialect>(op->getDialect());
}

namespace {
/// The CPU pipeline options as plain values, after the environment override.
struct Config {
  bool outParams, vectorize, intMatmul, retainHeap, planMemory;
  /// As requested (0: runtime default) and as generated for (1: sequential).
  int64_t requestedThreads, threads;
  std::string bound;
  bool vnni;
};
} // namespace

/// `vnni=on|true` and `off|false`; anything else is `auto`: this machine.
static bool resolveVNNI(StringRef v) {
  if (v == "on" || v == "true" || v == "1")
    return true;
  if (v == "off" || v == "false" || v == "0")
    return false;
  return fp4::hostHasAVX512VNNI();
}

/// `options`, overridden by the options the environment variable
/// FP4_CPU_PIPELINE_OPTIONS names (pipeline option syntax, e.g. "threads=1
/// vnni=off"): a knob for benchmarks and tests of the tools that build the
/// pipeline themselves (fp4-run, fp4-train).
static Config resolve(const fp4::CPUPipelineOptions &options) {
  Config c;
  c.outParams = options.outParams;
  c.vectorize = options.vectorize;
  c.intMatmul = options.intMatmul;
  c.retainHeap = options.retainHeap;
  c.planMemory = options.planMemory;
  c.requestedThreads = options.threads;
  c.bound = options.intMatmulBound;
  std::string vnni = options.vnni;
  if (const char *env = std::getenv("FP4_CPU_PIPELINE_OPTIONS")) {
    if (auto e = fp4::CPUPipelineOptions::createFromString(env)) {
      if (e->outParams.hasValue())
        c.outParams = e->outParams;
      if (e->vectorize.hasValue())
        c.vectorize = e->vectorize;
      if (e->intMatmul.hasValue())
        c.intMatmul = e->intMatmul;
      if (e->threads.hasValue())
        c.requestedThreads = e->threads;
      if (e->intMatmulBound.hasValue())
        c.bound = e->intMatmulBound;
      if (e->vnni.hasValue())
        vnni = e->vnni;
      if (e->retainHeap.hasValue())
        c.retainHeap = e->retainHeap;
      if (e->planMemory.hasValue())
        c.planMemory = e->planMemory;
    } else {
      llvm::errs() << "warning: ignoring FP4_CPU_PIPELINE_OPTIONS='" << env
                   << "' (not options of fp4-to-llvm)\n";
    }
  }
  // Without an OpenMP runtime the code is sequential.
  c.threads = !fp4::cpuPipelineHasOpenMP() ? 1
              : c.requestedThreads > 0     ? c.requestedThreads
                                           : fp4::getDefaultCPUThreads();
  c.vnni = resolveVNNI(vnni);
  return c;
}

namespace {
/// Returns every tensor result from a distinct value: a value returned twice
/// (after CSE merged two equal computations, or written so) gets a copy
/// (`bufferization.alloc_tensor ... copy`), since the out-param conversion
/// needs one buffer per result.
struct DistinctTensorResultsPass
    : PassWrapper<DistinctTensorResultsPass, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(DistinctTensorResultsPass)
  StringRef getArgument() const final { return "fp4-distinct-results"; }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<bufferization::BufferizationDialect>();
  }
  void runOnOperation() override {
    getOperation().walk([](func::ReturnOp ret) {
      llvm::SmallPtrSet<Value, 8> seen;
      OpBuilder b(ret);
      for (OpOperand &operand : ret->getOpOperands()) {
        Value v = operand.get();
        if (!isa<RankedTensorType>(v.getType()) || seen.insert(v).second)
          continue;
        auto copy = bufferization::AllocTensorOp::create(
            b, ret.getLoc(), cast<RankedTensorType>(v.getType()),
            ValueRange{}, /*copy=*/v);
        operand.set(copy);
      }
    });
  }
};

/// Bytes of a statically shaped memref of integers or floats (sub-byte
/// elements take a byte each, as the LLVM lowering stores them); none for
/// other memrefs.
static std::optional<int64_t> staticBytes(MemRefType type) {
  if (!type.hasStaticShape() || !type.getElementType().isIntOrFloat())
    return std::nullopt;
  return type.getNumElements() *
         ((type.getElementType().getIntOrFloatBitWidth() + 7) / 8);
}

/// Drops the `fp4.backward_decode` tags (fp4-apply-recipe) once the CSE
/// after `convert-fp4-to-standard` has run: they only keep the backward
/// pass's decode loops apart from the forward's there, and left on, they
/// would keep fp4-cpu-outline-loops from sharing one function between a
/// forward and a backward decode of the same shape.
struct DropBackwardDecodeTagsPass
    : PassWrapper<DropBackwardDecodeTagsPass, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(DropBackwardDecodeTagsPass)
  StringRef getArgument() const final {
    return "fp4-drop-backward-decode-tags";
  }
  void runOnOperation() override {
    getOperation().walk(
        [](Operation *op) { op->removeAttr("fp4.backward_decode"); });
  }
};

/// Erases the `memref.copy`s that one-shot bufferization leaves from a
/// buffer onto itself. A tensor.insert_slice of a value computed in place
/// in the slot it is inserted into bufferizes to a copy from that slot's
/// view onto a second, equal view of it (canonicalization folds such
/// copies only after CSE has merged the two memref.subview ops, which this
/// pipeline runs no more), or, when the value went out of the slot through
/// a collapse_shape and back through an expand_shape (fp4-cpu-conv-to-
/// gemm's im2col window copies), from expand(collapse(S)) to S: the same
/// elements in the same order, only a unit dim's stride differs, which no
/// canonicalization folds. At run time each was a memrefCopy call, one per
/// im2col window (73 728 per resnet18 convolution of 64 channels).
struct DropSelfCopiesPass
    : PassWrapper<DropSelfCopiesPass, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(DropSelfCopiesPass)
  StringRef getArgument() const final { return "fp4-drop-self-copies"; }
  /// `a` and `b` are the same view: one value, or memref.subviews with the
  /// same operands and attributes of the same view.
  static bool sameView(Value a, Value b, int depth = 0) {
    if (a == b)
      return true;
    auto sa = a.getDefiningOp<memref::SubViewOp>();
    auto sb = b.getDefiningOp<memref::SubViewOp>();
    if (!sa || !sb || depth > 8 || sa.getType() != sb.getType() ||
        !sameView(sa.getSource(), sb.getSource(), depth + 1))
      return false;
    return sa.getStaticOffsets() == sb.getStaticOffsets() &&
           sa.getStaticSizes() == sb.getStaticSizes() &&
           sa.getStaticStrides() == sb.getStaticStrides() &&
           llvm::equal(sa.getOffsets(), sb.getOffsets()) &&
           llvm::equal(sa.getSizes(), sb.getSizes()) &&
           llvm::equal(sa.getStrides(), sb.getStrides());
  }
  static bool sameElements(Value src, Value dst) {
    if (sameView(src, dst))
      return true;
    auto expand = src.getDefiningOp<memref::ExpandShapeOp>();
    if (!expand)
      return false;
    auto collapse = expand.getSrc().getDefiningOp<memref::CollapseShapeOp>();
    return collapse && sameView(collapse.getSrc(), dst) &&
           expand.getReassociationIndices() ==
               collapse.getReassociationIndices() &&
           expand.getType().getShape() ==
               cast<MemRefType>(dst.getType()).getShape();
  }
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp copy) {
      if (sameElements(copy.getSource(), copy.getTarget()))
        copies.push_back(copy);
    });
    for (memref::CopyOp copy : copies)
      copy.erase();
  }
};

/// Returns the buffer of a result computed on a reshaped view itself: where
/// a function returns expand_shape(A) or collapse_shape(A) of a static
/// allocation A (fp4-convert-fp4-to-standard's elementwise loops run on
/// flattened tensors: the SGD update of every parameter and its momentum),
/// A becomes the inverse reshape of an allocation of the returned shape,
/// which is returned directly. buffer-results-to-out-params can then give
/// that allocation's place to the caller's buffer (hoistStaticAllocs):
/// before, each returned parameter and momentum was copied into it at the
/// end of the step (90 MB per resnet18 step, 6 % of its time).
struct ReturnAllocationsPass
    : PassWrapper<ReturnAllocationsPass, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(ReturnAllocationsPass)
  StringRef getArgument() const final { return "fp4-return-allocations"; }
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    auto ret = dyn_cast<func::ReturnOp>(func.getBody().back().getTerminator());
    if (!ret)
      return;
    // Allocations returned more than once (directly or reshaped) stay.
    llvm::DenseMap<Operation *, int> returned;
    auto allocOf = [](Value v) -> memref::AllocOp {
      Operation *def = v.getDefiningOp();
      if (isa_and_nonnull<memref::ExpandShapeOp, memref::CollapseShapeOp>(def))
        v = def->getOperand(0);
      return v.getDefiningOp<memref::AllocOp>();
    };
    for (Value v : ret.getOperands())
      if (memref::AllocOp alloc = allocOf(v))
        ++returned[alloc];
    for (Value v : ret.getOperands()) {
      Operation *reshape = v.getDefiningOp();
      if (!isa_and_nonnull<memref::ExpandShapeOp, memref::CollapseShapeOp>(
              reshape))
        continue;
      memref::AllocOp alloc = allocOf(v);
      if (!alloc || returned[alloc] != 1 ||
          !alloc.getDynamicSizes().empty() || !alloc.getSymbolOperands().empty())
        continue;
      auto srcT = alloc.getType();
      auto dstT = cast<MemRefType>(v.getType());
      if (!srcT.getLayout().isIdentity() || !dstT.getLayout().isIdentity() ||
          !dstT.hasStaticShape())
        continue;
      OpBuilder b(alloc);
      Location loc = alloc.getLoc();
      auto whole = memref::AllocOp::create(b, loc, dstT, alloc.getAlignmentAttr());
      Value view;
      if (auto expand = dyn_cast<memref::ExpandShapeOp>(reshape))
        view = memref::CollapseShapeOp::create(b, loc, whole,
                                               expand.getReassociationIndices());
      else
        view = memref::ExpandShapeOp::create(
            b, loc, srcT.getShape(), whole,
            cast<memref::CollapseShapeOp>(reshape).getReassociationIndices());
      if (view.getType() != srcT) {
        view.getDefiningOp()->erase();
        whole.erase();
        continue;
      }
      alloc.replaceAllUsesWith(view);
      alloc.erase();
      reshape->replaceAllUsesWith(ValueRange{whole.getResult()});
      reshape->erase();
    }
  }
};

/// Splits a `tensor.empty` whose uses lie far apart in a block into one
/// empty per group of nearby uses. CSE merges the equal-typed empties of a
/// whole step into one value, and one-shot bufferization then lets the ops
/// that use it in turn write into one buffer, which stays allocated from
/// the first of them to the last: a weight-sized scratch buffer of the
/// forward pass reused in the backward pass held 9 MiB of resnet18 for the
/// whole step. Nearby uses keep sharing (an elementwise op writing into the
/// buffer of the value it reads, a slice extracted from and inserted back
/// into the same destination); a use more than kFar ops of the block after
/// the previous one gets its own empty, right before it, so that each
/// group's buffer is freed after the group (fp4-cpu-early-dealloc).
struct SplitDistantEmptiesPass
    : PassWrapper<SplitDistantEmptiesPass, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(SplitDistantEmptiesPass)
  StringRef getArgument() const final { return "fp4-split-distant-empties"; }
  static constexpr int64_t kFar = 64;
  void runOnOperation() override {
    SmallVector<tensor::EmptyOp> empties;
    getOperation().walk([&](tensor::EmptyOp e) { empties.push_back(e); });
    llvm::DenseMap<Block *, llvm::DenseMap<Operation *, int64_t>> positions;
    auto position = [&](Block *block, Operation *op) {
      auto &pos = positions[block];
      if (pos.empty()) {
        int64_t i = 0;
        for (Operation &o : *block)
          pos[&o] = i++;
      }
      return pos.lookup(op);
    };
    for (tensor::EmptyOp empty : empties) {
      // Dynamic sizes must dominate the new empties: keep those shared.
      if (!empty.getDynamicSizes().empty() || empty->hasOneUse())
        continue;
      Block *block = empty->getBlock();
      SmallVector<std::pair<int64_t, OpOperand *>> uses;
      bool outside = false;
      for (OpOperand &use : empty->getUses()) {
        Operation *top = block->findAncestorOpInBlock(*use.getOwner());
        if (!top) {
          outside = true;
          break;
        }
        uses.push_back({position(block, top), &use});
      }
      if (outside)
        continue;
      llvm::sort(uses, [](auto &a, auto &b) { return a.first < b.first; });
      Value current = empty.getResult();
      int64_t last = uses.front().first;
      for (auto [pos, use] : uses) {
        if (pos - last > kFar) {
          OpBuilder b(block->findAncestorOpInBlock(*use->getOwner()));
          current = b.clone(*empty)->getResult(0);
        }
        use->set(current);
        last = pos;
      }
    }
  }
};

/// Static memory planning of an entry function's large temporaries: every
/// `memref.alloc` of at least 64 KiB whose one `memref.dealloc` is in its
/// block (fp4-cpu-early-dealloc put it after the last use), outside
/// parallel loops, becomes a `memref.view` at a fixed offset of one arena,
/// and its dealloc goes. A buffer's live range is [alloc, dealloc] in the
/// order of the function's top block (the enclosing scf.if or scf.for of a
/// nested one: the whole op). Offsets are placed greedily, largest buffer
/// first, at the lowest offset free of every overlapping range (64-byte
/// aligned), so the arena is about the function's static peak. The arena is
/// allocated at the function's entry and freed at its return (each call
/// has its own: the function stays re-entrant); RetainHeap keeps it in
/// glibc's heap (no mmap), so every call gets the same pages back. The
/// temporaries then neither fragment the heap nor depend on how glibc
/// reuses freed blocks: the process holds the static peak, no more.
struct PlanMemoryPass
    : PassWrapper<PlanMemoryPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(PlanMemoryPass)
  StringRef getArgument() const final { return "fp4-cpu-plan-memory"; }
  StringRef getDescription() const final {
    return "Place an entry function's large temporaries at fixed offsets of "
           "one static arena";
  }
  static constexpr int64_t kMinBytes = 64 * 1024;
  static constexpr int64_t kAlign = 64;
  struct Buffer {
    memref::AllocOp alloc;
    memref::DeallocOp dealloc;
    int64_t start, end, bytes, offset = 0;
  };
  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (func::FuncOp func :
         llvm::to_vector(module.getOps<func::FuncOp>())) {
      if (func.isExternal() || !func.isPublic())
        continue;
      Block &block = func.getBody().front();
      llvm::DenseMap<Operation *, int64_t> position;
      int64_t n = 0;
      for (Operation &op : block)
        position[&op] = n++;
      SmallVector<Buffer> buffers;
      SmallVector<memref::AllocOp> allocs;
      func.walk([&](memref::AllocOp alloc) { allocs.push_back(alloc); });
      for (memref::AllocOp alloc : allocs) {
        // Inside an scf.if or a sequential loop a buffer is live while
        // that op of the top block runs; parallel iterations would share
        // one offset.
        Operation *top = block.findAncestorOpInBlock(*alloc);
        if (!top || alloc->getParentOfType<scf::ForallOp>() ||
            alloc->getParentOfType<scf::ParallelOp>())
          continue;
        MemRefType type = alloc.getType();
        std::optional<int64_t> bytes = staticBytes(type);
        if (!bytes || *bytes < kMinBytes || !type.getLayout().isIdentity() ||
            type.getMemorySpace())
          continue;
        memref::DeallocOp dealloc;
        bool ok = true;
        for (Operation *user : alloc->getUsers()) {
          auto d = dyn_cast<memref::DeallocOp>(user);
          if (!d)
            continue;
          if (d->getBlock() != alloc->getBlock() || dealloc)
            ok = false;
          dealloc = d;
        }
        if (!ok || !dealloc)
          continue;
        buffers.push_back({alloc, dealloc, position[top],
                           position[block.findAncestorOpInBlock(*dealloc)],
                           (*bytes + kAlign - 1) / kAlign * kAlign});
      }
      if (buffers.size() < 2)
        continue;
      SmallVector<Buffer *> order;
      for (Buffer &b : buffers)
        order.push_back(&b);
      llvm::sort(order, [](Buffer *a, Buffer *b) {
        return a->bytes != b->bytes ? a->bytes > b->bytes
                                    : a->start < b->start;
      });
      SmallVector<Buffer *> placed;
      int64_t total = 0;
      for (Buffer *b : order) {
        SmallVector<Buffer *> live;
        for (Buffer *p : placed)
          if (!(b->end < p->start || p->end < b->start))
            live.push_back(p);
        llvm::sort(live, [](Buffer *x, Buffer *y) {
          return x->offset < y->offset;
        });
        int64_t offset = 0;
        for (Buffer *p : live) {
          if (offset + b->bytes <= p->offset)
            break;
          offset = std::max(offset, p->offset + p->bytes);
        }
        b->offset = offset;
        total = std::max(total, offset + b->bytes);
        placed.push_back(b);
      }
      MLIRContext *ctx = &getContext();
      auto arenaType = MemRefType::get({total}, IntegerType::get(ctx, 8));
      OpBuilder b = OpBuilder::atBlockBegin(&block);
      Value arena = memref::AllocOp::create(b, func.getLoc(), arenaType,
                                            b.getI64IntegerAttr(kAlign));
      b.setInsertionPoint(block.getTerminator());
      memref::DeallocOp::create(b, func.getLoc(), arena);
      // RetainHeap keeps the arena in glibc's heap (no mmap), so every
      // call reuses the same pages.
      func->setAttr("fp4.arena", b.getI64IntegerAttr(total));
      for (Buffer &buf : buffers) {
        b.setInsertionPoint(buf.alloc);
        Value offset =
            arith::ConstantIndexOp::create(b, buf.alloc.getLoc(), buf.offset);
        Value view = memref::ViewOp::create(b, buf.alloc.getLoc(),
                                            buf.alloc.getType(), arena,
                                            offset, ValueRange());
        buf.dealloc.erase();
        buf.alloc.getResult().replaceAllUsesWith(view);
        buf.alloc.erase();
      }
    }
  }
};

/// Public functions that allocate a temporary of at least 128 KiB (or of a
/// dynamic size) start with
///   mallopt(M_MMAP_THRESHOLD, 32 MiB); mallopt(M_TRIM_THRESHOLD, 1 GiB)
/// so that glibc keeps the memory they free for the next call. Without it,
/// glibc serves every large temporary by mmap (or trims the heap after the
/// free) and the next call (training step) page-faults the same bytes in
/// again from zeroed kernel pages: measured at more than half of the time of
/// the default CNN's fp32 training step (docs/performance.md). 32 MiB is the
/// largest threshold glibc accepts; larger blocks are still mmap'ed. Both
/// calls are idempotent and cost well under a microsecond.
struct RetainHeapPass
    : PassWrapper<RetainHeapPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(RetainHeapPass)
  StringRef getArgument() const final { return "fp4-cpu-retain-heap"; }
  void runOnOperation() override {
    ModuleOp module = getOperation();
    constexpr int64_t kMinBytes = 128 * 1024;
    SmallVector<func::FuncOp> entries;
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal() || !func.isPublic())
        continue;
      WalkResult large = func.walk([&](memref::AllocOp alloc) {
        std::optional<int64_t> bytes = staticBytes(alloc.getType());
        return !bytes || *bytes >= kMinBytes ? WalkResult::interrupt()
                                             : WalkResult::advance();
      });
      if (large.wasInterrupted())
        entries.push_back(func);
    }
    if (entries.empty())
      return;
    MLIRContext *ctx = &getContext();
    Type i32 = IntegerType::get(ctx, 32);
    auto mallopt = module.lookupSymbol<func::FuncOp>("mallopt");
    if (!mallopt) {
      OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
      mallopt = func::FuncOp::create(b, module.getLoc(), "mallopt",
                                     b.getFunctionType({i32, i32}, {i32}));
      mallopt.setPrivate();
    } else if (mallopt.getFunctionType() !=
               FunctionType::get(ctx, {i32, i32}, {i32})) {
      return; // a user function of that name: leave it alone
    }
    // glibc's <malloc.h>: M_TRIM_THRESHOLD -1, M_MMAP_THRESHOLD -3.
    for (func::FuncOp func : entries) {
      OpBuilder b = OpBuilder::atBlockBegin(&func.getBody().front());
      Location loc = func.getLoc();
      SmallVector<std::pair<int32_t, int32_t>> params = {{-3, 32 << 20},
                                                         {-1, 1 << 30}};
      // An arena of fp4-cpu-plan-memory (above the largest mmap threshold
      // glibc accepts, 32 MiB): no mmap at all (M_MMAP_MAX -4), or every
      // call would page-fault it in again.
      if (func->hasAttr("fp4.arena"))
        params.push_back({-4, 0});
      for (auto [param, value] : params) {
        Value args[] = {arith::ConstantIntOp::create(b, loc, param, 32),
                        arith::ConstantIntOp::create(b, loc, value, 32)};
        func::CallOp::create(b, loc, mallopt, args);
      }
    }
  }
};
} // namespace

void fp4::addModuleBufferization(OpPassManager &pm) {
  bufferization::OneShotBufferizePassOptions bufferizeOptions;
  bufferizeOptions.bufferizeFunctionBoundaries = true;
  bufferizeOptions.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferizeOptions));
  // Forward loop-carried buffers that loops only pass through (scf.for
  // iter_args of a buffer written in place), so a returned buffer is seen to
  // be its allocation and the out-param conversion can write the result in
  // the caller's buffer instead of copying it there.
  pm.addPass(createCanonicalizerPass());
}

static void buildBufferizeToLLVM(OpPassManager &pm, const Config &options) {
  // Tensor level: make every op bufferizable.
  // Inline calls first: a result returned through a call would otherwise be
  // bufferized into a temporary and copied into the caller's buffer.
  pm.addPass(createInlinerPass());
  pm.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());

  // Code generation on tensors: convolutions as GEMMs, then tiling for
  // threads, caches and registers, and vectorization.
  int64_t threads = options.threads;
  if (options.vectorize) {
    fp4::FP4CPUConvToGemmOptions convOptions;
    convOptions.threads = threads;
    pm.addNestedPass<func::FuncOp>(fp4::createFP4CPUConvToGemm(convOptions));
    pm.addPass(createCanonicalizerPass());
    fp4::FP4CPUTileAndVectorizeOptions tileOptions;
    tileOptions.threads = threads;
    pm.addNestedPass<func::FuncOp>(fp4::createFP4CPUTileAndVectorize(tileOptions));
    // No CSE: it would merge the fills the pass gave each writer (a shared
    // fill bufferizes to one copy per writer).
    pm.addPass(createCanonicalizerPass());
  }
  pm.addNestedPass<func::FuncOp>(
      std::make_unique<DistinctTensorResultsPass>());
  pm.addNestedPass<func::FuncOp>(std::make_unique<SplitDistantEmptiesPass>());
  // No empty-tensor elimination: the passes above already write every
  // result into a slice of its destination (the pass found nothing left to
  // do on the bundled models and resnet18, and its one-shot analysis of the
  // whole module cost 2.2 s of resnet18's compile).

  fp4::addModuleBufferization(pm);
  pm.addNestedPass<func::FuncOp>(std::make_unique<DropSelfCopiesPass>());

  // Calling convention: results become caller-allocated out-params, so the
  // callee owns (and frees) every buffer it allocates.
  if (options.outParams) {
    pm.addNestedPass<func::FuncOp>(std::make_unique<ReturnAllocationsPass>());
    bufferization::BufferResultsToOutParamsPassOptions outParamOptions;
    outParamOptions.hoistStaticAllocs = true;
    outParamOptions.modifyPublicFunctions = true;
    pm.addPass(
        bufferization::createBufferResultsToOutParamsPass(outParamOptions));
  }
  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addPass(createConvertBufferizationToMemRefPass());
  // Free each temporary after its last use, not at the end of the step.
  pm.addNestedPass<func::FuncOp>(fp4::createFP4CPUEarlyDealloc());
  if (options.planMemory)
    pm.addPass(std::make_unique<PlanMemoryPass>());

  // Parallel loops: OpenMP worksharing loops, or sequential loops.
  if (threads != 1) {
    pm.addPass(createForallToParallelLoopPass());
    ConvertSCFToOpenMPPassOptions ompOptions;
    ompOptions.numThreads =
        options.requestedThreads > 0
            ? static_cast<unsigned>(options.requestedThreads)
            : 0;
    pm.addPass(createConvertSCFToOpenMPPass(ompOptions));
    pm.addPass(createCanonicalizerPass());
  } else {
    pm.addPass(createForallToForLoopPass());
  }

  // Byte dot products: vpdpbusd (after deallocation, which rejects the
  // intrinsic call's unknown memory effects).
  if (options.vectorize && options.vnni)
    pm.addNestedPass<func::FuncOp>(fp4::createFP4CPUX86VNNI());

#ifdef __GLIBC__
  if (options.retainHeap)
    pm.addPass(std::make_unique<RetainHeapPass>());
#endif

  // One loop nest or parallel region per function: the LLVM IR
  // translation's OpenMP outlining is then linear in the size of the step
  // function, and LLVM optimizes many small functions, not one huge one.
  pm.addPass(fp4::createFP4CPUOutlineLoops());

  // The structured ops left (not vectorized, or vectorize=false) to loops.
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());

  // Vector ops: masks and n-D reductions to simple vector ops, n-D transfers
  // to loops of 1-D transfers (which become masked loads/stores in LLVM).
  pm.addNestedPass<func::FuncOp>(vector::createLowerVectorMaskPass());
  pm.addNestedPass<func::FuncOp>(vector::createLowerVectorMultiReductionPass());
  // Fully unrolled: the loops over temporary stack buffers of the default
  // lowering put allocas inside loops (stack overflow at -O0).
  pm.addNestedPass<func::FuncOp>(createConvertVectorToSCFPass(
      VectorTransferToSCFOptions().enableFullUnroll()));

  // Memref metadata and control flow.
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());

  // Arith/math ops that have no direct LLVM lowering.
  pm.addPass(arith::createArithExpandOpsPass());
  pm.addPass(math::createMathExtendToSupportedTypes());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());

  // Everything else to the LLVM dialect.
  // 16 x 16 f32 transposes (transposing copies) as shuffles, not one
  // extract/insert per element.
  ConvertVectorToLLVMPassOptions vectorOptions;
  vectorOptions.vectorTransposeLowering =
      vector::VectorTransposeLowering::Shuffle16x16;
  pm.addPass(createConvertVectorToLLVMPass(vectorOptions));
  if (threads != 1)
    pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void fp4::buildBufferizeToLLVMPipeline(OpPassManager &pm,
                                       const CPUPipelineOptions &options) {
  buildBufferizeToLLVM(pm, resolve(options));
}

void fp4::buildBufferizeToLLVMPipeline(OpPassManager &pm) {
  buildBufferizeToLLVMPipeline(pm, CPUPipelineOptions());
}

void fp4::buildCPUPipeline(OpPassManager &pm,
                           const CPUPipelineOptions &cpuOptions) {
  Config options = resolve(cpuOptions);
  if (options.vectorize && options.intMatmul) {
    FP4LowpMatmulToIntegerOptions intOptions;
    intOptions.vnni = options.vnni;
    intOptions.bound = options.bound;
    pm.addNestedPass<func::FuncOp>(createFP4LowpMatmulToInteger(intOptions));
  }
  // Quantize, dequantize and the maxima of scales and GradScale: chunks of
  // 64 Ki elements (256 KiB of f32) per thread.
  addFP4ToStandardPasses(
      pm, options.vectorize && options.threads != 1 ? 65536 : 0);
  pm.addNestedPass<func::FuncOp>(
      std::make_unique<DropBackwardDecodeTagsPass>());
  buildBufferizeToLLVM(pm, options);
}

void fp4::buildCPUPipeline(OpPassManager &pm) {
  buildCPUPipeline(pm, CPUPipelineOptions());
}

void fp4::registerCPUPipelineDependencies(DialectRegistry &registry) {
  registry.insert<affine::AffineDialect, arith::ArithDialect,
                  bufferization::BufferizationDialect, cf::ControlFlowDialect,
                  func::FuncDialect, index::IndexDialect, LLVM::LLVMDialect,
                  linalg::LinalgDialect, math::MathDialect,
                  memref::MemRefDialect, omp::OpenMPDialect, scf::SCFDialect,
                  tensor::TensorDialect, ub::UBDialect,
                  vector::VectorDialect>();

  // Bufferization.
  arith::registerBufferizableOpInterfaceExternalModels(registry);
  bufferization::func_ext::registerBufferizableOpInterfaceExternalModels(
      registry);
  cf::registerBufferizableOpInterfaceExternalModels(registry);
  linalg::registerBufferizableOpInterfaceExternalModels(registry);
  scf::registerBufferizableOpInterfaceExternalModels(registry);
  tensor::registerBufferizableOpInterfaceExternalModels(registry);
  vector::registerBufferizableOpInterfaceExternalModels(registry);

  // Empty-tensor elimination and alias analysis.
  linalg::registerSubsetOpInterfaceExternalModels(registry);
  tensor::registerSubsetOpInterfaceExternalModels(registry);
  vector::registerSubsetOpInterfaceExternalModels(registry);
  arith::registerBufferViewFlowOpInterfaceExternalModels(registry);
  memref::registerBufferViewFlowOpInterfaceExternalModels(registry);

  // Deallocation.
  arith::registerBufferDeallocationOpInterfaceExternalModels(registry);
  cf::registerBufferDeallocationOpInterfaceExternalModels(registry);
  scf::registerBufferDeallocationOpInterfaceExternalModels(registry);
  memref::registerAllocationOpInterfaceExternalModels(registry);

  // Shape reasoning used by the tensor and vector patterns.
  linalg::registerAllDialectInterfaceImplementations(registry);
  tensor::registerInferTypeOpInterfaceExternalModels(registry);
  arith::registerValueBoundsOpInterfaceExternalModels(registry);
  memref::registerValueBoundsOpInterfaceExternalModels(registry);
  scf::registerValueBoundsOpInterfaceExternalModels(registry);
  tensor::registerValueBoundsOpInterfaceExternalModels(registry);
  vector::registerValueBoundsOpInterfaceExternalModels(registry);

  // `convert-to-llvm`.
  arith::registerConvertArithToLLVMInterface(registry);
  cf::registerConvertControlFlowToLLVMInterface(registry);
  registerConvertFuncToLLVMInterface(registry);
  index::registerConvertIndexToLLVMInterface(registry);
  registerConvertMathToLLVMInterface(registry);
  registerConvertMemRefToLLVMInterface(registry);
  ub::registerConvertUBToLLVMInterface(registry);
  vector::registerConvertVectorToLLVMInterface(registry);
  registerConvertOpenMPToLLVMInterface(registry);

  // Parallel loops are OpenMP ops when translated to LLVM IR.
  registerOpenMPDialectTranslation(registry);
}

void fp4::registerPipelines() {
  PassPipelineRegistration<CPUPipelineOptions>(
      "fp4-to-llvm",
      "Lower fp4 and upstream tensor-level IR to the LLVM dialect for CPUs",
      [](OpPassManager &pm, const CPUPipelineOptions &options) {
        buildCPUPipeline(pm, options);
      });
  PassPipelineRegistration<CPUPipelineOptions>(
      "fp4-bufferize-to-llvm",
      "Bufferize upstream tensor-level IR (no fp4 ops) and lower it to the "
      "LLVM dialect for CPUs",
      [](OpPassManager &pm, const CPUPipelineOptions &options) {
        buildBufferizeToLLVMPipeline(pm, options);
      });
  // The pipeline's own passes, for tests.
  PassRegistration<SplitDistantEmptiesPass>();
  PassRegistration<DropSelfCopiesPass>();
  PassRegistration<ReturnAllocationsPass>();
  PassRegistration<PlanMemoryPass>();
}
