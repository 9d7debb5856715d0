//===- CPUOutlineLoops.cpp - one loop nest per function ----------------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// `fp4-cpu-outline-loops`: moves each loop nest and parallel region at the
// top level of a function into a private function of its own, so that the
// OpenMP outlining of the LLVM IR translation (which scans the whole
// enclosing function once per region) stays linear in the size of the
// training step, and LLVM optimizes many small functions instead of one
// huge one. Loop nests that come out identical (the same shapes, constants
// and body: the repeated blocks of a ResNet, their forward and backward
// BatchNorm and ReLU loops) share one function, so LLVM optimizes and
// compiles each distinct nest once.
//
//===----------------------------------------------------------------------===//

#include "fp4/Transforms/CPUPasses.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/RegionUtils.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"

namespace fp4 {
#define GEN_PASS_DEF_FP4CPUOUTLINELOOPS
#include "fp4/Transforms/CPUPasses.h.inc"
} // namespace fp4

using namespace mlir;

namespace {

/// A hash of `func`'s signature and body that ignores value identities and
/// locations: functions with equal bodies hash equal.
size_t hashBody(func::FuncOp func) {
  llvm::hash_code hash = hash_value(func.getFunctionType());
  func.getBody().walk([&](Operation *op) {
    hash = llvm::hash_combine(
        hash, OperationEquivalence::computeHash(
                  op, OperationEquivalence::ignoreHashValue,
                  OperationEquivalence::ignoreHashValue,
                  OperationEquivalence::IgnoreLocations));
  });
  return static_cast<size_t>(hash);
}

bool isParallelRegion(Operation *op) {
  return op->getName().getStringRef() == "omp.parallel";
}

struct FP4CPUOutlineLoopsPass
    : fp4::impl::FP4CPUOutlineLoopsBase<FP4CPUOutlineLoopsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> funcs(module.getOps<func::FuncOp>());
    OutlinedFunctions outlined;
    for (func::FuncOp func : funcs) {
      if (func.isExternal())
        continue;
      // The ops with regions at the top level of the function: parallel
      // regions and loop nests, in order.
      SmallVector<Operation *> nests;
      for (Block &block : func.getBody())
        for (Operation &op : block)
          if (op.getNumRegions() != 0)
            nests.push_back(&op);
      unsigned index = 0;
      for (Operation *op : nests)
        outline(symbols, outlined, func, op, index++);
    }
  }

  /// The functions outlined in this run, by hashBody.
  using OutlinedFunctions =
      llvm::DenseMap<size_t, SmallVector<func::FuncOp, 1>>;

  void outline(SymbolTable &symbols, OutlinedFunctions &outlined,
               func::FuncOp parent, Operation *op, unsigned index) {
    // Values from above: the op's operands and the values its regions use.
    llvm::SetVector<Value> used(op->getOperands().begin(),
                                op->getOperands().end());
    getUsedValuesDefinedAbove(op->getRegions(), used);
    SmallVector<Value> arguments;
    SmallVector<Operation *> constants;
    for (Value v : used) {
      Operation *def = v.getDefiningOp();
      if (def && def->getNumResults() == 1 && def->getNumRegions() == 0 &&
          def->getNumOperands() == 0 && matchPattern(v, m_Constant()))
        constants.push_back(def);
      else
        arguments.push_back(v);
    }

    OpBuilder b(parent);
    b.setInsertionPointToEnd(parent->getParentOfType<ModuleOp>().getBody());
    Location loc = op->getLoc();
    auto type = b.getFunctionType(ValueRange(arguments).getTypes(),
                                  op->getResultTypes());
    auto callee = func::FuncOp::create(
        b, loc,
        (parent.getSymName() + (isParallelRegion(op) ? "_par" : "_loop") +
         Twine(index))
            .str(),
        type);
    callee.setPrivate();
    // Internal, and never inlined back: LLVM's optimizer would otherwise
    // rebuild the huge function (every callee has a single call site).
    callee->setAttr("llvm.linkage",
                    LLVM::LinkageAttr::get(b.getContext(),
                                           LLVM::Linkage::Internal));
    callee->setAttr("passthrough",
                    b.getArrayAttr({b.getStringAttr("noinline")}));
    Block *body = callee.addEntryBlock();
    b.setInsertionPointToStart(body);
    IRMapping mapping;
    for (auto [v, arg] : llvm::zip_equal(arguments, body->getArguments()))
      mapping.map(v, arg);
    for (Operation *c : constants)
      b.clone(*c, mapping);
    Operation *moved = b.clone(*op, mapping);
    func::ReturnOp::create(b, loc, moved->getResults());

    // An identical nest outlined before: call that one instead.
    SmallVector<func::FuncOp, 1> &sameHash = outlined[hashBody(callee)];
    auto same = llvm::find_if(sameHash, [&](func::FuncOp other) {
      return other.getFunctionType() == callee.getFunctionType() &&
             OperationEquivalence::isRegionEquivalentTo(
                 &other.getBody(), &callee.getBody(),
                 OperationEquivalence::IgnoreLocations);
    });
    if (same != sameHash.end()) {
      callee.erase();
      callee = *same;
    } else {
      symbols.insert(callee); // renames on a clash
      sameHash.push_back(callee);
    }

    b.setInsertionPoint(op);
    auto call = func::CallOp::create(b, loc, callee, arguments);
    op->replaceAllUsesWith(call.getResults());
    op->erase();
  }
};

} // namespace
