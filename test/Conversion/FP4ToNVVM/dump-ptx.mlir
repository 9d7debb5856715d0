// RUN: fp4-opt %s --fp4-dump-ptx -o /dev/null | FileCheck %s
// RUN: fp4-opt %s --fp4-dump-ptx=output=%t.ptx | FileCheck %s --check-prefix=MODULE
// RUN: FileCheck %s < %t.ptx

// Each PTX object becomes a split-file section named BINARY.CHIP.ptx; the
// module is unchanged.

// CHECK:      //--- first.sm_90.ptx
// CHECK-NEXT: .version 8.4
// CHECK-NEXT: .target sm_90
// CHECK-NEXT: //--- second.sm_100a.ptx
// CHECK-NEXT: .version 8.6
// CHECK-NEXT: .target sm_100a
// CHECK-NOT:  //---

// MODULE: gpu.binary @first
// MODULE: gpu.binary @second
module attributes {gpu.container_module} {
  gpu.binary @first [#gpu.object<#nvvm.target<chip = "sm_90">, assembly = ".version 8.4\0A.target sm_90\0A">]
  gpu.binary @second [#gpu.object<#nvvm.target<chip = "sm_100a">, assembly = ".version 8.6\0A.target sm_100a">]
}

