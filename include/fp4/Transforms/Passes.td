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

def FP4ApplyRecipe : Pass<"fp4-apply-recipe", "::mlir::ModuleOp"> {
  let summary = "Quantize the GEMMs of the training step per a recipe";
  let description = [{
    Rewrites the GEMM layers of `@train_step`, `@grad_step` and `@eval_step`
    (the `fp4.gemm_id` groups of `fp4-build-training-step`) into fp4 ops per
    a recipe (docs/recipes.md): `ibm-fp4` (Sun et al. 2020: int4 weights
    with SAWB, uint4 activations with a trainable PACT clip, GradScale'd
    output gradients quantized twice to radix-4 FP4, the even phase for the
    activation-gradient GEMM and the odd phase for the weight-gradient GEMM;
    first and last layer in f32), its ablations, `fp32`, or a JSON file.

    The recipe's state - per-layer GradScale, PACT clipping levels and their
    momentum, the step counter for stochastic rounding - becomes arguments
    and results of the step functions (roles `gradscale`, `pact_alpha`,
    `pact_momentum`, `step`), and every quantized layer reports its gradient
    quantizers' saturated / flushed / non-finite counts (role `counters`,
    tensor<6xi64>: dX quantizer then dW quantizer). A training step with a
    non-finite gradient leaves parameters and optimizer state unchanged.
  }];
  let dependentDialects = ["::mlir::fp4::FP4Dialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
  let options = [
    Option<"recipe", "recipe", "std::string", /*default=*/"\"ibm-fp4\"",
           "Built-in recipe: fp32, ibm-fp4, ibm-fp4-dw8, int4-fwd, "
           "fp4-single-phase, radix2-fp4, no-gradscale">,
    Option<"recipeFile", "recipe-file", "std::string", /*default=*/"\"\"",
           "A JSON recipe file (overrides `recipe`)">
  ];
}

def FP4ReportMemory : Pass<"fp4-report-memory", "::mlir::ModuleOp"> {
  let summary = "Report the bytes a training step saves for its backward pass";
  let description = [{
    For every function with an op tagged `fp4.backward_start` (the loss
    gradient of `fp4-build-training-step`), emits a remark with the bytes of
    the forward values the backward pass uses - float tensors, quantized
    (`!fp4.qtensor`, packed storage plus scale) and other - and a note per
    GEMM layer with the bytes of its saved activation operand. Run it after
    `fp4-apply-recipe` to compare recipes.
  }];
}

#endif // FP4_TRANSFORMS_PASSES_TD
