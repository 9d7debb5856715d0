// REQUIRES: numpy

// .npy format versions 1.0, 2.0 and 3.0 read alike.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/mknpy.py --version 1 %t/v1.npy "np.arange(6, dtype=np.float16).reshape(2, 3)"
// RUN: %python %S/Inputs/mknpy.py --version 2 %t/v2.npy "np.arange(6, dtype=np.float16).reshape(2, 3) * 2"
// RUN: %python %S/Inputs/mknpy.py --version 3 %t/v3.npy "np.arange(6, dtype=np.float16).reshape(2, 3) * 3"
// RUN: fp4-run %s --entry sum3 --input %t/v1.npy --input %t/v2.npy --input %t/v3.npy --output %t/out.npy
// RUN: %python %S/Inputs/cmpnpy.py %t/out.npy "np.arange(6, dtype=np.float16).reshape(2, 3) * 6"

// fp4-run writes version 1.0 files with 64-byte aligned headers, as NumPy does.
// RUN: %python -c "import sys; d = open(sys.argv[1], 'rb').read(); h = int.from_bytes(d[8:10], 'little'); sys.exit(not (d[:8] == b'\x93NUMPY\x01\x00' and (10 + h) %% 64 == 0))" %t/out.npy

func.func @sum3(%a: tensor<2x3xf16>, %b: tensor<2x3xf16>, %c: tensor<2x3xf16>) -> tensor<2x3xf16> {
  %0 = arith.addf %a, %b : tensor<2x3xf16>
  %1 = arith.addf %0, %c : tensor<2x3xf16>
  return %1 : tensor<2x3xf16>
}
