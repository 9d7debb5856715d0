//===- KernelBuilder.cpp - GPU-mapped parallel loops for fp4 kernels ------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#include "KernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace fp4::gpu_kernels;

/// Partials a host loop combines directly; more go through a kernel first.
static constexpr int64_t kHostReduceLimit = 1024;
/// Threads of the second-stage reduction kernel.
static constexpr int64_t kReduceThreads = 256;

static Value cIdx(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

static gpu::ParallelLoopDimMappingAttr mapTo(MLIRContext *ctx,
                                             gpu::Processor processor) {
  AffineMap id = AffineMap::getMultiDimIdentityMap(1, ctx);
  return gpu::ParallelLoopDimMappingAttr::get(ctx, processor, id, id);
}

std::string KernelBuilder::uniqueStem(StringRef base) {
  std::string name = base.str();
  for (unsigned i = 1;
       stems.contains(name) || used.contains(name) ||
       SymbolTable::lookupSymbolIn(module, name) != nullptr;
       ++i)
    name = (base + "_" + Twine(i)).str();
  stems.insert(name);
  return name;
}

std::string KernelBuilder::uniqueKernelName(StringRef base) {
  std::string name = base.str();
  for (unsigned i = 1; used.contains(name) || SymbolTable::lookupSymbolIn(
                                                  module, name) != nullptr;
       ++i)
    name = (base + "_" + Twine(i)).str();
  used.insert(name);
  return name;
}

int64_t KernelBuilder::getGridStrideThreads(int64_t work) const {
  if (work <= blockSize)
    return std::max<int64_t>(32, llvm::alignTo(work, 32));
  return std::min<int64_t>(llvm::divideCeil(work, blockSize), maxBlocks) *
         blockSize;
}

/// scf.parallel (ivs) = (0, ..) to (ubs) step (1, ..) with a body builder.
static scf::ParallelOp
parallel(OpBuilder &b, Location loc, ArrayRef<int64_t> ubs,
         ArrayRef<gpu::Processor> processors,
         function_ref<void(OpBuilder &, Location, ValueRange)> body) {
  SmallVector<Value> lbs, upper, steps;
  for (int64_t ub : ubs) {
    lbs.push_back(cIdx(b, loc, 0));
    upper.push_back(cIdx(b, loc, ub));
    steps.push_back(cIdx(b, loc, 1));
  }
  auto op = scf::ParallelOp::create(b, loc, lbs, upper, steps, body);
  SmallVector<gpu::ParallelLoopDimMappingAttr> mapping;
  for (gpu::Processor p : processors)
    mapping.push_back(mapTo(b.getContext(), p));
  // Cannot fail: one distinct processor per loop.
  (void)gpu::setMappingAttr(op, mapping);
  return op;
}

void KernelBuilder::grid1D(
    OpBuilder &b, Location loc, StringRef name, int64_t numThreads,
    function_ref<void(OpBuilder &, Location, Value)> body) {
  std::string kernel = uniqueKernelName(name);
  int64_t block = std::min<int64_t>(
      blockSize, std::max<int64_t>(32, llvm::alignTo(numThreads, 32)));
  int64_t grid = std::max<int64_t>(1, llvm::divideCeil(numThreads, block));
  auto outer = parallel(
      b, loc, {grid}, {gpu::Processor::BlockX},
      [&](OpBuilder &ob, Location ol, ValueRange bids) {
        parallel(ob, ol, {block}, {gpu::Processor::ThreadX},
                 [&](OpBuilder &ib, Location il, ValueRange tids) {
                   Value gid = arith::AddIOp::create(
                       ib, il,
                       arith::MulIOp::create(ib, il, bids[0],
                                             cIdx(ib, il, block)),
                       tids[0]);
                   if (grid * block == numThreads) {
                     body(ib, il, gid);
                     return;
                   }
                   Value inRange = arith::CmpIOp::create(
                       ib, il, arith::CmpIPredicate::ult, gid,
                       cIdx(ib, il, numThreads));
                   auto ifOp = scf::IfOp::create(ib, il, inRange,
                                                 /*withElseRegion=*/false);
                   OpBuilder::InsertionGuard guard(ib);
                   ib.setInsertionPointToStart(ifOp.thenBlock());
                   body(ib, il, gid);
                 });
      });
  outer->setAttr("function", FlatSymbolRefAttr::get(b.getContext(), kernel));
}

void KernelBuilder::grid2D(
    OpBuilder &b, Location loc, StringRef name, int64_t gridX, int64_t gridY,
    int64_t threads,
    function_ref<void(OpBuilder &, Location, Value, Value, Value)> body) {
  std::string kernel = uniqueKernelName(name);
  auto outer = parallel(
      b, loc, {gridX, gridY}, {gpu::Processor::BlockX, gpu::Processor::BlockY},
      [&](OpBuilder &ob, Location ol, ValueRange bids) {
        parallel(ob, ol, {threads}, {gpu::Processor::ThreadX},
                 [&](OpBuilder &ib, Location il, ValueRange tids) {
                   body(ib, il, bids[0], bids[1], tids[0]);
                 });
      });
  outer->setAttr("function", FlatSymbolRefAttr::get(b.getContext(), kernel));
}

void KernelBuilder::gridStride(
    OpBuilder &b, Location loc, StringRef name, int64_t work,
    function_ref<void(OpBuilder &, Location, Value, Value)> body) {
  int64_t threads = getGridStrideThreads(work);
  grid1D(b, loc, name, threads, [&](OpBuilder &kb, Location kl, Value gid) {
    body(kb, kl, gid, cIdx(kb, kl, threads));
  });
}

static Value combineValues(OpBuilder &b, Location loc,
                           KernelBuilder::Combine combine, Value x, Value y) {
  switch (combine) {
  case KernelBuilder::Combine::AddI:
    return arith::AddIOp::create(b, loc, x, y);
  case KernelBuilder::Combine::AddF:
    return arith::AddFOp::create(b, loc, x, y);
  case KernelBuilder::Combine::MaxF:
    return arith::MaximumFOp::create(b, loc, x, y);
  }
  llvm_unreachable("unknown combine");
}

/// The identity of `combine` (0; the maxima are of |x| >= 0).
static Value identity(OpBuilder &b, Location loc, Type type) {
  return arith::ConstantOp::create(b, loc, b.getZeroAttr(type));
}

/// acc = combine(acc, src[k][i]) for i = first, first + step, ... < count.
static Value combineRow(OpBuilder &b, Location loc,
                        KernelBuilder::Combine combine, Value src, int64_t k,
                        Value first, int64_t count, int64_t step) {
  Type type = cast<MemRefType>(src.getType()).getElementType();
  auto loop = scf::ForOp::create(
      b, loc, first, cIdx(b, loc, count), cIdx(b, loc, step),
      ValueRange{identity(b, loc, type)},
      [&](OpBuilder &lb, Location ll, Value i, ValueRange args) {
        Value v = memref::LoadOp::create(lb, ll, src,
                                         ValueRange{cIdx(lb, ll, k), i});
        scf::YieldOp::create(lb, ll,
                             combineValues(lb, ll, combine, args[0], v));
      });
  return loop.getResult(0);
}

SmallVector<Value> KernelBuilder::reducePartials(OpBuilder &b, Location loc,
                                                 StringRef name,
                                                 Value partials,
                                                 Combine combine) {
  auto type = cast<MemRefType>(partials.getType());
  int64_t rows = type.getShape()[0], count = type.getShape()[1];
  Value src = partials;
  if (count > kHostReduceLimit) {
    Value reduced = memref::AllocOp::create(
        b, loc,
        MemRefType::get({rows, kReduceThreads}, type.getElementType()),
        b.getI64IntegerAttr(64));
    grid1D(b, loc, (name + "_reduce").str(), kReduceThreads,
           [&](OpBuilder &kb, Location kl, Value gid) {
             for (int64_t k = 0; k < rows; ++k) {
               Value v = combineRow(kb, kl, combine, partials, k, gid, count,
                                    kReduceThreads);
               memref::StoreOp::create(kb, kl, v, reduced,
                                       ValueRange{cIdx(kb, kl, k), gid});
             }
           });
    src = reduced;
    count = kReduceThreads;
  }
  SmallVector<Value> results;
  for (int64_t k = 0; k < rows; ++k)
    results.push_back(
        combineRow(b, loc, combine, src, k, cIdx(b, loc, 0), count, 1));
  return results;
}
