//===- CPUX86VNNI.cpp - vpdpbusd for u8 x s8 quad dot products ------------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// `fp4-cpu-x86-vnni`: LLVM's x86 back end forms vpdpwssd from the portable
// pair dot product (vpmaddwd pattern) but has no pattern for the quad
// dot product of bytes, so this pass calls the intrinsic.
//
//===----------------------------------------------------------------------===//

#include "fp4/Transforms/CPUPasses.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace fp4 {
#define GEN_PASS_DEF_FP4CPUX86VNNI
#include "fp4/Transforms/CPUPasses.h.inc"
} // namespace fp4

using namespace mlir;

namespace {

bool isVectorOf(Type t, int64_t n, unsigned bits) {
  auto vt = dyn_cast<VectorType>(t);
  return vt && vt.getRank() == 1 && !vt.isScalable() &&
         vt.getNumElements() == n && vt.getElementType().isInteger(bits);
}

/// Collects the leaves of a tree of arith.addi ops (vector<16xi32>).
void collectAddends(Value v, SmallVectorImpl<Value> &leaves, int depth = 0) {
  auto add = v.getDefiningOp<arith::AddIOp>();
  if (add && depth < 3 && add->hasOneUse()) {
    collectAddends(add.getLhs(), leaves, depth + 1);
    collectAddends(add.getRhs(), leaves, depth + 1);
    return;
  }
  leaves.push_back(v);
}

/// acc + sum_t shuffle(prod, [t, 4+t, ...]) with prod = ext(a) * ext(b) on
/// vector<64xi8> -> vpdpbusd(acc, u8 operand, s8 operand).
struct QuadDotToVNNI : OpRewritePattern<arith::AddIOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::AddIOp op,
                                PatternRewriter &rewriter) const override {
    if (!isVectorOf(op.getType(), 16, 32))
      return failure();
    for (int side = 0; side < 2; ++side) {
      Value acc = op->getOperand(side), sum = op->getOperand(1 - side);
      SmallVector<Value> leaves;
      collectAddends(sum, leaves);
      if (leaves.size() != 4)
        continue;
      Value prod;
      bool seen[4] = {false, false, false, false};
      bool ok = true;
      for (Value leaf : leaves) {
        auto shuffle = leaf.getDefiningOp<vector::ShuffleOp>();
        if (!shuffle || shuffle.getV1() != shuffle.getV2() ||
            (prod && shuffle.getV1() != prod)) {
          ok = false;
          break;
        }
        prod = shuffle.getV1();
        ArrayRef<int64_t> mask = shuffle.getMask();
        if (mask.size() != 16 || mask[0] < 0 || mask[0] > 3 ||
            seen[mask[0]]) {
          ok = false;
          break;
        }
        for (int64_t i = 0; i < 16; ++i)
          ok &= mask[i] == 4 * i + mask[0];
        seen[mask[0]] = true;
      }
      if (!ok || !prod || !isVectorOf(prod.getType(), 64, 32))
        continue;
      auto mul = prod.getDefiningOp<arith::MulIOp>();
      if (!mul)
        continue;
      Value u, s;
      for (int k = 0; k < 2; ++k) {
        Value x = mul->getOperand(k), y = mul->getOperand(1 - k);
        auto zx = x.getDefiningOp<arith::ExtUIOp>();
        auto sy = y.getDefiningOp<arith::ExtSIOp>();
        if (zx && sy && isVectorOf(zx.getIn().getType(), 64, 8) &&
            isVectorOf(sy.getIn().getType(), 64, 8)) {
          u = zx.getIn();
          s = sy.getIn();
          break;
        }
      }
      if (!u)
        continue;
      rewriter.replaceOpWithNewOp<LLVM::CallIntrinsicOp>(
          op, op.getType(),
          rewriter.getStringAttr("llvm.x86.avx512.vpdpbusd.512"),
          ValueRange{acc, u, s});
      return success();
    }
    return failure();
  }
};

struct CPUX86VNNIPass : fp4::impl::FP4CPUX86VNNIBase<CPUX86VNNIPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<QuadDotToVNNI>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
