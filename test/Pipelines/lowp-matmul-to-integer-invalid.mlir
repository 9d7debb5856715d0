// RUN: fp4-opt %s --fp4-lowp-matmul-to-integer=bound=int64 --verify-diagnostics

// expected-error @below {{fp4-lowp-matmul-to-integer: bound must be f32-exact or int32, got 'int64'}}
func.func @f() {
  return
}
