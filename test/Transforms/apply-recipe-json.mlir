// RUN: echo '{"base": "ibm-fp4", "accumulation": "f16", "chunk": 32, "layers": {"fc2.weight": {"weight": "e4m3", "activation": "e4m3", "grad_dx": "e5m2", "grad_dw": "e5m2", "rounding": "stochastic"}}}' > %t.ok.json
// RUN: fp4-opt %S/Inputs/mlp3.mlir --fp4-build-training-step --fp4-apply-recipe=recipe-file=%t.ok.json | FileCheck %s
// RUN: echo '{"base": "ibm-fp4", "first_last": "same"}' > %t.all.json
// RUN: fp4-opt %S/Inputs/mlp3.mlir --fp4-build-training-step --fp4-apply-recipe=recipe-file=%t.all.json | FileCheck %s --check-prefix=ALL

// A per-layer override by layer name: the middle layer in FP8, gradients
// rounded stochastically (seeded by the step counter, one stream per
// quantizer), f16 chunk-32 accumulation.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME: %[[STEP:[a-z0-9]+]]: i64 {fp4.onnx_name = "step", fp4.role = "step"}
// CHECK: fp4.compute_scale %{{.*}} rule(amax) {format = #fp4.format<e4m3>}
// CHECK: fp4.lowp_matmul %{{.*}}, %{{.*}} accumulate(f16, 32) {fp4.layer = "fc2.weight"} : !fp4.qtensor<8x16x#fp4.format<e4m3>>, !fp4.qtensor<16x16x#fp4.format<e4m3>>
// CHECK: fp4.gradscale %{{.*}}, %{{.*}} {format = #fp4.format<e5m2>}
// CHECK: fp4.quantize %{{.*}}, %{{.*}} rounding(stochastic) seed(%[[STEP]]) stream({{[0-9]+}}) : {{.*}}e5m2
// CHECK: fp4.quantize %{{.*}}, %{{.*}} rounding(stochastic) seed(%[[STEP]]) stream({{[0-9]+}}) : {{.*}}e5m2
// CHECK: arith.addi %[[STEP]]

// "first_last": "same" quantizes the first and last layers too. The first
// layer's input is not known to be non-negative: int4 with a max scale.
// ALL-LABEL: func.func @train_step(
// ALL: fp4.compute_scale %arg0 rule(amax) {format = #fp4.format<int4>}
// ALL-COUNT-3: fp4.lowp_matmul %{{.*}}, %{{.*}} : !fp4.qtensor

// RUN: echo '{"base": "ibm-fp4", "layers": {"fc2.weight": {"weight": "int3"}}}' > %t.bad1.json
// RUN: not fp4-opt %S/Inputs/mlp3.mlir --fp4-build-training-step --fp4-apply-recipe=recipe-file=%t.bad1.json 2>&1 | FileCheck %s --check-prefix=BAD1
// BAD1: error: {{.*}}bad1.json: layers.fc2.weight: "weight" must be a format name or "f32"

// RUN: echo '{"base": "ibm-fp4", "gradient": "radix4_even"}' > %t.bad2.json
// RUN: not fp4-opt %S/Inputs/mlp3.mlir --fp4-build-training-step --fp4-apply-recipe=recipe-file=%t.bad2.json 2>&1 | FileCheck %s --check-prefix=BAD2
// BAD2: error: {{.*}}bad2.json: unknown key "gradient" (known: weight, activation, grad_dx, grad_dw, activation_dw, gradscale, fixed_scale, accumulation, chunk, rounding)

// RUN: echo '{"base": "ibm-fp4",' > %t.bad3.json
// RUN: not fp4-opt %S/Inputs/mlp3.mlir --fp4-build-training-step --fp4-apply-recipe=recipe-file=%t.bad3.json 2>&1 | FileCheck %s --check-prefix=BAD3
// BAD3: error: {{.*}}bad3.json: invalid JSON:

// RUN: echo '{"base": "ibm-fp5"}' > %t.bad4.json
// RUN: not fp4-opt %S/Inputs/mlp3.mlir --fp4-build-training-step --fp4-apply-recipe=recipe-file=%t.bad4.json 2>&1 | FileCheck %s --check-prefix=BAD4
// BAD4: error: {{.*}}bad4.json: unknown recipe 'ibm-fp5' (built-in recipes: fp32, ibm-fp4, ibm-fp4-dw8, int4-fwd, fp4-single-phase, radix2-fp4, no-gradscale; or a JSON recipe file)

// RUN: echo '{"grad_dx": "int4"}' > %t.bad5.json
// RUN: not fp4-opt %S/Inputs/mlp3.mlir --fp4-build-training-step --fp4-apply-recipe=recipe-file=%t.bad5.json 2>&1 | FileCheck %s --check-prefix=BAD5
// BAD5: error: {{.*}}bad5.json: "grad_dx" must be a gradient format

// RUN: not fp4-opt %S/Inputs/mlp3.mlir --fp4-build-training-step --fp4-apply-recipe=recipe-file=%t.missing.json 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: {{.*}}missing.json: cannot read the recipe file: No such file or directory

// RUN: not fp4-opt %S/Inputs/mlp3.mlir --fp4-build-training-step --fp4-apply-recipe=recipe=ibm-fp8 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// UNKNOWN: error: unknown recipe 'ibm-fp8'

// RUN: not fp4-opt %S/Inputs/mlp3.mlir --fp4-apply-recipe 2>&1 | FileCheck %s --check-prefix=NOSTEP
// NOSTEP: error: no @train_step, @grad_step or @eval_step; run fp4-build-training-step first
