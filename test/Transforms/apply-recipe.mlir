// RUN: fp4-opt %S/Inputs/mlp3.mlir --fp4-build-training-step --fp4-apply-recipe=recipe=ibm-fp4 --canonicalize --cse | FileCheck %s --check-prefix=IBM
// RUN: fp4-opt %S/Inputs/mlp3.mlir --fp4-build-training-step --fp4-apply-recipe=recipe=ibm-fp4-dw8 --canonicalize --cse | FileCheck %s --check-prefix=DW8
// RUN: fp4-opt %S/Inputs/mlp3.mlir --fp4-build-training-step --fp4-apply-recipe=recipe=int4-fwd --canonicalize --cse | FileCheck %s --check-prefix=FWD
// RUN: fp4-opt %S/Inputs/mlp3.mlir --fp4-build-training-step --fp4-apply-recipe=recipe=fp4-single-phase --canonicalize --cse | FileCheck %s --check-prefix=SINGLE
// RUN: fp4-opt %S/Inputs/mlp3.mlir --fp4-build-training-step --fp4-apply-recipe=recipe=radix2-fp4 --canonicalize --cse | FileCheck %s --check-prefix=RADIX2
// RUN: fp4-opt %S/Inputs/mlp3.mlir --fp4-build-training-step --fp4-apply-recipe=recipe=no-gradscale --canonicalize --cse | FileCheck %s --check-prefix=NOGS
// RUN: fp4-opt %S/Inputs/mlp3.mlir --fp4-build-training-step --fp4-apply-recipe=recipe=fp32 --canonicalize --cse | FileCheck %s --check-prefix=FP32

// Where the recipe's ops land in @train_step of a three-layer MLP: the
// first (fc1) and the last (fc3) layer stay f32, the middle one (fc2) runs
// in 4 bits.

// IBM-LABEL: func.func @train_step(
// IBM-SAME: %[[W2:[a-z0-9]+]]: tensor<16x16xf32> {fp4.onnx_name = "fc2.weight", fp4.role = "param"}
// IBM-SAME: %[[ALPHA:[a-z0-9]+]]: f32 {fp4.onnx_name = "fc2.weight.pact_alpha", fp4.role = "pact_alpha"}
// IBM-SAME: %[[GS:[a-z0-9]+]]: f32 {fp4.onnx_name = "fc2.weight", fp4.role = "gradscale"}
// IBM-SAME: f32 {fp4.onnx_name = "fc2.weight.pact_alpha", fp4.role = "pact_momentum"}
// IBM-SAME: -> (
// IBM-SAME: f32 {fp4.onnx_name = "fc2.weight", fp4.role = "gradscale"}, tensor<6xi64> {fp4.onnx_name = "fc2.weight", fp4.role = "counters"}
// fc1 forward stays an f32 matmul.
// IBM: linalg.matmul {{.*}}fp4.gemm_role = "forward"{{.*}} ins(%{{.*}}, %{{.*}} : tensor<8x12xf32>, tensor<12x16xf32>)
// fc2 forward: int4 SAWB weights, PACT-clipped uint4 activations.
// IBM: %[[SW:.*]] = fp4.compute_scale %[[W2]] rule(sawb) {format = #fp4.format<int4>}
// IBM: %[[QW:.*]] = fp4.quantize %[[W2]], %[[SW]] : tensor<16x16xf32> -> !fp4.qtensor<16x16x#fp4.format<int4>>
// IBM: arith.minimumf %{{.*}}, %[[ALPHA]]
// IBM: %[[SX:.*]] = arith.divf %{{.*}}, %[[ALPHA]] : f32
// IBM: %[[QX:.*]] = fp4.quantize %{{.*}}, %[[SX]] : tensor<8x16xf32> -> !fp4.qtensor<8x16x#fp4.format<uint4>>
// IBM: fp4.lowp_matmul %[[QX]], %[[QW]] {fp4.layer = "fc2.weight"} : !fp4.qtensor<8x16x#fp4.format<uint4>>, !fp4.qtensor<16x16x#fp4.format<int4>> -> tensor<8x16xf32>
// fc3 stays f32, forward and backward.
// IBM: linalg.matmul {{.*}}fp4.gemm_role = "forward"{{.*}} ins(%{{.*}}, %{{.*}} : tensor<8x16xf32>, tensor<16x4xf32>)
// IBM: linalg.matmul indexing_maps = {{.*}} fp4.gemm_role = "grad_lhs"
// IBM: linalg.matmul indexing_maps = {{.*}} fp4.gemm_role = "grad_rhs"
// fc2 backward: GradScale, then dY twice: even phase into the dX GEMM with
// Q(W), odd phase into the dW GEMM with the saved Q(X).
// IBM: %{{.*}}, %[[APPLIED:.*]], %{{.*}} = fp4.gradscale %[[DY:.*]], %[[GS]] {format = #fp4.format<radix4, even>}
// IBM: %[[QE:.*]], %{{.*}}:3 = fp4.quantize %[[DY]], %[[APPLIED]] : tensor<8x16xf32> -> !fp4.qtensor<8x16x#fp4.format<radix4, even>>, i64, i64, i64
// IBM: fp4.lowp_matmul %[[QE]], %[[QW]] {transpose_b}
// IBM: %[[QO:.*]], %{{.*}}:3 = fp4.quantize %[[DY]], %[[APPLIED]] : tensor<8x16xf32> -> !fp4.qtensor<8x16x#fp4.format<radix4, odd>>, i64, i64, i64
// IBM: fp4.lowp_matmul %[[QX]], %[[QO]] {transpose_a}
// fc1's weight gradient stays f32.
// IBM: linalg.matmul indexing_maps = {{.*}} fp4.gemm_role = "grad_rhs"} ins(%arg0
// IBM-LABEL: func.func @grad_step(
// IBM-SAME: f32 {fp4.onnx_name = "fc2.weight.pact_alpha", fp4.role = "grad"}
// IBM-LABEL: func.func @eval_step(
// IBM: fp4.lowp_matmul
// IBM-NOT: fp4.gradscale

// DW8-LABEL: func.func @train_step(
// DW8: fp4.quantize %{{.*}} -> !fp4.qtensor<8x16x#fp4.format<radix4, even>>
// DW8: %[[Q5:.*]], %{{.*}}:3 = fp4.quantize %{{.*}} -> !fp4.qtensor<8x16x#fp4.format<e5m2>>
// DW8: %[[X8:.*]] = fp4.quantize %{{.*}} -> !fp4.qtensor<8x16x#fp4.format<e4m3>>
// DW8: fp4.lowp_matmul %[[X8]], %[[Q5]] {transpose_a}

// FWD-LABEL: func.func @train_step(
// FWD: fp4.lowp_matmul
// FWD-NOT: fp4.gradscale
// FWD-NOT: radix4
// FWD-LABEL: func.func @grad_step(

// SINGLE-LABEL: func.func @train_step(
// SINGLE: %[[QE:.*]], %{{.*}}:3 = fp4.quantize {{.*}}#fp4.format<radix4, even>>
// SINGLE: fp4.lowp_matmul %[[QE]], %{{.*}} {transpose_b}
// SINGLE: fp4.lowp_matmul %{{.*}}, %[[QE]] {transpose_a}
// SINGLE-NOT: radix4, odd

// RADIX2-LABEL: func.func @train_step(
// RADIX2: fp4.gradscale {{.*}}{format = #fp4.format<radix2_fp4>}
// RADIX2-NOT: radix4

// NOGS-LABEL: func.func @train_step(
// NOGS-NOT: fp4.gradscale
// NOGS: %[[FIXED:.*]] = arith.constant 1.024000e+03 : f32
// NOGS: fp4.quantize %{{.*}}, %[[FIXED]] : {{.*}}radix4, even

// FP32-NOT: {{fp4\.(quantize|lowp_matmul|gradscale|compute_scale)}}
