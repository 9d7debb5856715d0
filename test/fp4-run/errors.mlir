// REQUIRES: numpy
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/mknpy.py %t/a.npy "np.ones((4, 8), np.float32)"
// RUN: %python %S/Inputs/mknpy.py %t/a7.npy "np.ones((4, 7), np.float32)"
// RUN: %python %S/Inputs/mknpy.py %t/ai.npy "np.ones((4, 8), np.int32)"
// RUN: %python %S/Inputs/mknpy.py %t/f64.npy "np.ones((4, 8))"
// RUN: %python %S/Inputs/mknpy.py %t/u16.npy "np.ones((4, 8), np.uint16)"
// RUN: %python %S/Inputs/mknpy.py %t/s.npy "np.float32(2)"
// RUN: %python %S/Inputs/mknpy.py --fortran %t/fortran.npy "np.ones((4, 8), np.float32)"
// RUN: %python %S/Inputs/mknpy.py %t/trunc.npy "np.ones((4, 8), np.float32)"
// RUN: %python %S/Inputs/mknpy.py --truncate 5 %t/trunc.npy
// RUN: %python %S/Inputs/mknpy.py %t/long.npy "np.ones((4, 8), np.float32)"
// RUN: %python %S/Inputs/mknpy.py --raw %t/long.npy "open('%t/long.npy', 'rb').read() + b'xx'"
// RUN: %python %S/Inputs/mknpy.py --raw %t/text.npy "b'just some text\n'"
// RUN: %python %S/Inputs/mknpy.py --raw %t/hdr.npy "b'\x93NUMPY\x01\x00\x14\x00{\'descr\': \'<f4\'}   \n'"
// RUN: %python %S/Inputs/mknpy.py --raw %t/version.npy "b'\x93NUMPY\x04\x00'"

// Every error is one line, exit code 1, and no output file is written.

// RUN: not fp4-run %s --entry nope --input %t/a.npy --input %t/a.npy --output %t/out.npy 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: test ! -e %t/out.npy
// MISSING: fp4-run: error: {{.*}}errors.mlir: no function 'nope' (functions: add, dyn, two, calls_external)
// MISSING-NOT: {{.}}

// RUN: not fp4-run %s --entry add --input %t/a.npy --output %t/out.npy 2>&1 | FileCheck %s --check-prefix=ARITY
// RUN: test ! -e %t/out.npy
// ARITY: fp4-run: error: {{.*}}errors.mlir: function 'add' takes 2 arguments but 1 --input was given
// ARITY-NOT: {{.}}

// RUN: not fp4-run %s --entry add --input %t/a.npy --input %t/a.npy --output %t/out.npy --output %t/out2.npy 2>&1 | FileCheck %s --check-prefix=OUTPUTS
// RUN: test ! -e %t/out.npy
// RUN: test ! -e %t/out2.npy
// OUTPUTS: fp4-run: error: {{.*}}errors.mlir: function 'add' returns 1 result but 2 --outputs were given

// RUN: not fp4-run %s --entry add --input %t/a.npy --input %t/a7.npy --output %t/out.npy 2>&1 | FileCheck %s --check-prefix=SHAPE
// RUN: test ! -e %t/out.npy
// SHAPE: fp4-run: error: input 2 ({{.*}}a7.npy): expected tensor<4x8xf32> but the array is float32 [4, 7]
// SHAPE-NOT: {{.}}

// RUN: not fp4-run %s --entry add --input %t/ai.npy --input %t/a.npy --output %t/out.npy 2>&1 | FileCheck %s --check-prefix=DTYPE
// RUN: test ! -e %t/out.npy
// DTYPE: fp4-run: error: input 1 ({{.*}}ai.npy): expected tensor<4x8xf32> but the array is int32 [4, 8]

// RUN: not fp4-run %s --entry add --input %t/a.npy --input %t/s.npy --output %t/out.npy 2>&1 | FileCheck %s --check-prefix=RANK
// RUN: test ! -e %t/out.npy
// RANK: fp4-run: error: input 2 ({{.*}}s.npy): expected tensor<4x8xf32> but the array is float32 []

// RUN: not fp4-run %s --entry add --input %t/a.npy --input %t/u16.npy --output %t/out.npy 2>&1 | FileCheck %s --check-prefix=U16
// RUN: not fp4-run %s --entry add --input %t/a.npy --input %t/f64.npy --output %t/out.npy 2>&1 | FileCheck %s --check-prefix=F64
// RUN: test ! -e %t/out.npy
// U16: fp4-run: error: {{.*}}u16.npy: unsupported dtype '<u2' (supported: <f4, <f8, <f2, |i1, |u1, <i4, <i8)
// F64: fp4-run: error: input 2 ({{.*}}f64.npy): expected tensor<4x8xf32> but the array is float64 [4, 8]

// RUN: not fp4-run %s --entry add --input %t/text.npy --input %t/a.npy --output %t/out.npy 2>&1 | FileCheck %s --check-prefix=NOTNPY
// RUN: test ! -e %t/out.npy
// NOTNPY: fp4-run: error: {{.*}}text.npy: not a .npy file (bad magic)
// NOTNPY-NOT: {{.}}

// RUN: not fp4-run %s --entry add --input %t/a.npy --input %t/trunc.npy --output %t/out.npy 2>&1 | FileCheck %s --check-prefix=TRUNC
// RUN: test ! -e %t/out.npy
// TRUNC: fp4-run: error: {{.*}}trunc.npy: truncated: expected 128 data bytes, found 123

// RUN: not fp4-run %s --entry add --input %t/a.npy --input %t/long.npy --output %t/out.npy 2>&1 | FileCheck %s --check-prefix=LONG
// RUN: test ! -e %t/out.npy
// LONG: fp4-run: error: {{.*}}long.npy: size mismatch: expected 128 data bytes, found 130

// RUN: not fp4-run %s --entry add --input %t/fortran.npy --input %t/a.npy --output %t/out.npy 2>&1 | FileCheck %s --check-prefix=FORTRAN
// RUN: test ! -e %t/out.npy
// FORTRAN: fp4-run: error: {{.*}}fortran.npy: fortran_order arrays are not supported (save a C-ordered array)

// RUN: not fp4-run %s --entry add --input %t/hdr.npy --input %t/a.npy --output %t/out.npy 2>&1 | FileCheck %s --check-prefix=HEADER
// RUN: test ! -e %t/out.npy
// HEADER: fp4-run: error: {{.*}}hdr.npy: malformed header: missing key 'fortran_order'

// RUN: not fp4-run %s --entry add --input %t/version.npy --input %t/a.npy --output %t/out.npy 2>&1 | FileCheck %s --check-prefix=VERSION
// VERSION: fp4-run: error: {{.*}}version.npy: unsupported .npy format version 4.0

// RUN: not fp4-run %s --entry add --input %t/absent.npy --input %t/a.npy --output %t/out.npy 2>&1 | FileCheck %s --check-prefix=ABSENT
// RUN: test ! -e %t/out.npy
// ABSENT: fp4-run: error: {{.*}}absent.npy: cannot read: {{.+}}

// An unwritable second output: the first one is not written either.
// RUN: not fp4-run %s --entry two --input %t/a.npy --output %t/out.npy --output %t/no/such/dir/out2.npy 2>&1 | FileCheck %s --check-prefix=UNWRITABLE
// RUN: test ! -e %t/out.npy
// RUN: ls %t | FileCheck %s --check-prefix=NOTEMP
// UNWRITABLE: fp4-run: error: {{.*}}out2.npy: cannot write: {{.+}}
// NOTEMP-NOT: tmp

// RUN: not fp4-run %s --entry dyn --input %t/a.npy 2>&1 | FileCheck %s --check-prefix=SIGNATURE
// SIGNATURE: fp4-run: error: {{.*}}errors.mlir: function 'dyn': argument 1 has unsupported type 'tensor<?x8xf32>' (supported: statically shaped tensors and scalars of f32, f64, f16, i8, i32, i64)

// RUN: not fp4-run %s --entry external --input %t/s.npy 2>&1 | FileCheck %s --check-prefix=DECL
// DECL: fp4-run: error: {{.*}}errors.mlir: function 'external' is a declaration

// RUN: not fp4-run %s --entry calls_external --input %t/s.npy 2>&1 | FileCheck %s --check-prefix=UNDEF
// UNDEF: fp4-run: error: {{.*}}errors.mlir:[[@LINE+6]]:1: function 'external' is declared but neither defined in the module nor found in the process
// UNDEF-NOT: {{.}}

// RUN: not fp4-run %s --input %t/a.npy 2>&1 | FileCheck %s --check-prefix=NOENTRY
// NOENTRY: fp4-run: error: {{.*}}errors.mlir: no --entry given and the module has 4 functions (add, dyn, two, calls_external)

func.func private @external(f32) -> f32

func.func @add(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = arith.addf %a, %b : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

func.func @dyn(%a: tensor<?x8xf32>) -> tensor<?x8xf32> {
  return %a : tensor<?x8xf32>
}

func.func @two(%a: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  return %a, %a : tensor<4x8xf32>, tensor<4x8xf32>
}

func.func @calls_external(%x: f32) -> f32 {
  %0 = func.call @external(%x) : (f32) -> f32
  return %0 : f32
}
