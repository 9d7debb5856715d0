//===- Passes.td - fp4 training-step passes ----------------*- tablegen -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_TRANSFORMS_PASSES_TD
#define FP4_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def FP4BuildTrainingStep
    : Pass<"fp4-build-training-step", "::mlir::ModuleOp"> {
  let summary = "Generate @train_step, @grad_step and @eval_step from @forward";
  let description = [{
    Turns `@forward` (docs/ir-contract.md: graph inputs and parameters ->
    logits) into:

    - `@train_step(inputs..., labels, params..., running stats...,
      velocities..., lr) -> (loss, correct, params'..., running stats'...,
      velocities'...)`: forward, softmax cross-entropy with integer labels
      (mean over the batch), reverse-mode gradients of every parameter, and
      SGD with momentum and weight decay (PyTorch's update:
      `v = momentum v + (g + wd p)`, `p = p - lr v`);
    - `@grad_step(inputs..., labels, params..., running stats...) -> (loss,
      correct, grads...)`: the same gradients without an update;
    - `@eval_step(inputs..., labels, params..., running stats...) -> (loss,
      correct, logits)`: from `@forward_eval` when the module has one
      (BatchNormalization in inference mode), else from `@forward`.

    Every argument and result carries `fp4.onnx_name` and `fp4.role`
    (`input`, `labels`, `param`, `running_mean`, `running_var`, `momentum`,
    `lr`, `loss`, `correct`, `grad`, `logits`), so drivers bind values by
    name. Gradients come from the VJPOpInterface rules attached to the
    upstream ops (lib/Autodiff); forward values are reused, not recomputed.
    The GEMMs of the forward pass and their two backward GEMMs carry
    `fp4.gemm_id` and `fp4.gemm_role` for the recipe pass.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::tensor::TensorDialect"];
  let options = [
    Option<"loss", "loss", "std::string", /*default=*/"\"softmax-cross-entropy\"",
           "Loss function (softmax-cross-entropy)">,
    Option<"optimizer", "optimizer", "std::string", /*default=*/"\"sgd\"",
           "Optimizer (sgd)">,
    Option<"momentum", "momentum", "double", /*default=*/"0.9",
           "SGD momentum">,
    Option<"weightDecay", "weight-decay", "double", /*default=*/"0.0",
           "L2 weight decay added to the gradient">
  ];
}

#endif // FP4_TRANSFORMS_PASSES_TD
