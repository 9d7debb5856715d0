// RUN: fp4-opt %s --fp4-build-training-step -split-input-file -verify-diagnostics

// expected-error @+1 {{no @forward function with a body}}
module {
  func.func @main() { return }
}

// -----

module {
  // expected-error @+1 {{the first result of @forward must be static 2-D float logits [batch, classes], got 'tensor<4xf32>'}}
  func.func @forward(%w: tensor<4xf32> {fp4.role = "param"}) -> tensor<4xf32> {
    return %w : tensor<4xf32>
  }
}

// -----

module {
  // expected-error @+1 {{@forward has no argument with fp4.role = "param"}}
  func.func @forward(%x: tensor<2x3xf32> {fp4.role = "input"}) -> tensor<2x3xf32> {
    return %x : tensor<2x3xf32>
  }
}

// -----

module {
  // expected-error @+1 {{argument 0 has unknown fp4.role 'weights'}}
  func.func @forward(%x: tensor<2x3xf32> {fp4.role = "weights"}) -> tensor<2x3xf32> {
    return %x : tensor<2x3xf32>
  }
}

// -----

module {
  func.func @forward(%x: tensor<2x3xf32> {fp4.role = "input"}, %w: tensor<2x3xf32> {fp4.role = "param"}) -> tensor<2x3xf32> {
    %e = tensor.empty() : tensor<2x3xf32>
    // expected-error @+1 {{no reverse-mode derivative rule for 'linalg.exp'; the differentiable ops are listed in docs/autodiff.md}}
    %y = linalg.exp ins(%w : tensor<2x3xf32>) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
    return %y : tensor<2x3xf32>
  }
}

// -----

module {
  func.func @forward(%x: tensor<2x3xf32> {fp4.role = "input"}, %w: tensor<2x3xf32> {fp4.role = "param"}) -> tensor<2x3xf32> {
    %e = tensor.empty() : tensor<2x3xf32>
    // expected-error @+1 {{reverse mode supports elementwise linalg.generic ops only}}
    %y = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, 0)>], iterator_types = ["parallel", "reduction"]}
        ins(%w : tensor<2x3xf32>) outs(%e : tensor<2x3xf32>) {
    ^bb0(%a: f32, %o: f32):
      %s = arith.addf %a, %o : f32
      linalg.yield %s : f32
    } -> tensor<2x3xf32>
    return %y : tensor<2x3xf32>
  }
}
