// RUN: fp4-opt %s -verify-diagnostics --fp4-dump-ptx=output=%t.ptx -o /dev/null

// Only PTX (assembly) objects can be dumped.

module attributes {gpu.container_module} {
  // expected-error @below {{fp4-dump-ptx: object of @cubin is not PTX (format bin)}}
  gpu.binary @cubin [#gpu.object<#nvvm.target<chip = "sm_90">, bin = "\7FELF">]
}
