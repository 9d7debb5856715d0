//===- CPUEarlyDealloc.cpp - free buffers after their last use ------------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// `fp4-cpu-early-dealloc`: moves the allocation of each buffer of a block
// to right before its first use, and the deallocation of each temporary
// buffer from the end of the block (where ownership-based buffer
// deallocation puts it) to right after the buffer's last use; then moves a
// static temporary allocated and freed in each iteration of a sequential
// loop (scf.for) out of the loop: one allocation per loop, not per
// iteration.
//
//===----------------------------------------------------------------------===//

#include "fp4/Transforms/CPUPasses.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include "llvm/ADT/SetVector.h"

namespace fp4 {
#define GEN_PASS_DEF_FP4CPUEARLYDEALLOC
#include "fp4/Transforms/CPUPasses.h.inc"
} // namespace fp4

using namespace mlir;

namespace {

/// The last op of `block` that uses `alloc` or a value aliasing it, or
/// nullptr when the buffer may escape the block (an alias is used by the
/// block's terminator, or outside the block).
Operation *lastUse(Block &block, memref::AllocOp alloc,
                   memref::DeallocOp dealloc) {
  llvm::SetVector<Value> aliases;
  aliases.insert(alloc.getResult());
  Operation *last = alloc;
  for (unsigned i = 0; i < aliases.size(); ++i) {
    for (OpOperand &use : aliases[i].getUses()) {
      Operation *user = use.getOwner();
      if (user == dealloc.getOperation())
        continue;
      Operation *top = block.findAncestorOpInBlock(*user);
      if (!top || top->hasTrait<OpTrait::IsTerminator>())
        return nullptr;
      if (last->isBeforeInBlock(top))
        last = top;
      // Whatever memref the user, or the op of the block that holds it,
      // produces may alias the buffer (views, casts, loop results).
      for (Operation *op : {user, top})
        for (Value result : op->getResults())
          if (isa<BaseMemRefType>(result.getType()))
            aliases.insert(result);
    }
  }
  return last;
}

struct FP4CPUEarlyDeallocPass
    : ::fp4::impl::FP4CPUEarlyDeallocBase<FP4CPUEarlyDeallocPass> {
  void runOnOperation() override {
    getOperation()->walk([](Block *block) {
      // Allocations right before their first use: bufferization allocates
      // where the tensor.empty that seeded a result was, and CSE leaves one
      // such empty for all the equal-typed results of a step, at the first.
      SmallVector<memref::AllocOp> allocs;
      for (Operation &op : *block)
        if (auto a = dyn_cast<memref::AllocOp>(&op))
          allocs.push_back(a);
      for (memref::AllocOp alloc : allocs) {
        Operation *first = nullptr;
        for (Operation *user : alloc->getUsers()) {
          Operation *top = block->findAncestorOpInBlock(*user);
          if (!top) {
            first = nullptr;
            break;
          }
          if (!first || top->isBeforeInBlock(first))
            first = top;
        }
        if (first && alloc->getNextNode() != first)
          alloc->moveBefore(first);
      }

      SmallVector<memref::DeallocOp> deallocs;
      for (Operation &op : *block)
        if (auto d = dyn_cast<memref::DeallocOp>(&op))
          deallocs.push_back(d);
      for (memref::DeallocOp dealloc : deallocs) {
        auto alloc = dealloc.getMemref().getDefiningOp<memref::AllocOp>();
        if (!alloc || alloc->getBlock() != block)
          continue;
        Operation *last = lastUse(*block, alloc, dealloc);
        if (last && last->isBeforeInBlock(dealloc))
          dealloc->moveAfter(last);
      }
    });

    // Out of sequential loops: a static buffer that an iteration allocates
    // and frees (and that no alias carries out of the iteration) can be the
    // same buffer in every iteration - its contents are undefined at each
    // allocation anyway. Not out of parallel loops (scf.forall: one buffer
    // per iteration, per thread) or conditionals.
    SmallVector<memref::AllocOp> allocs;
    getOperation()->walk([&](memref::AllocOp alloc) {
      if (alloc->getNumOperands() == 0 && isa<scf::ForOp>(alloc->getParentOp()))
        allocs.push_back(alloc);
    });
    for (memref::AllocOp alloc : allocs) {
      memref::DeallocOp dealloc;
      for (Operation *user : alloc->getUsers())
        if (auto d = dyn_cast<memref::DeallocOp>(user);
            d && d->getBlock() == alloc->getBlock())
          dealloc = d;
      if (!dealloc || !lastUse(*alloc->getBlock(), alloc, dealloc))
        continue;
      while (auto loop = dyn_cast<scf::ForOp>(alloc->getParentOp())) {
        alloc->moveBefore(loop);
        dealloc->moveAfter(loop);
      }
    }
  }
};

} // namespace
