//===- GPUChip.cpp - The NVIDIA chips of the GPU lowering -----------------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#include "fp4/Conversion/FP4ToNVVM.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

using namespace fp4;

// PTX versions: LLVM 22's NVPTX back end requires at least 7.0 for sm_80,
// 7.8 for sm_89/sm_90 and 8.6 for sm_100a; `mma.sync...m16n8k32...e4m3`
// needs PTX ISA 8.4, `cvt.rn.satfinite.e2m1x2.f32` 8.6. Checked by the lit
// tests with ptxas (test/Conversion/FP4ToNVVM, test/GPU).
static const GPUChip kChips[] = {
    {"sm_80", 70, /*hasFP8MMA=*/false, /*hasE2M1Convert=*/false},
    {"sm_89", 84, /*hasFP8MMA=*/true, /*hasE2M1Convert=*/false},
    {"sm_90", 84, /*hasFP8MMA=*/true, /*hasE2M1Convert=*/false},
    {"sm_100a", 86, /*hasFP8MMA=*/true, /*hasE2M1Convert=*/true},
};

std::string GPUChip::getPTXFeature() const {
  return "+ptx" + std::to_string(ptxVersion);
}

const GPUChip *fp4::lookupGPUChip(llvm::StringRef name) {
  for (const GPUChip &chip : kChips)
    if (chip.name == name)
      return &chip;
  return nullptr;
}

std::string fp4::getSupportedGPUChips() {
  return llvm::join(llvm::map_range(kChips,
                                    [](const GPUChip &c) { return c.name; }),
                    ", ");
}

llvm::Expected<const GPUChip *> fp4::checkGPUChip(llvm::StringRef name) {
  if (const GPUChip *chip = lookupGPUChip(name))
    return chip;
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "unknown chip '" + name.str() +
                                     "' (supported: " + getSupportedGPUChips() +
                                     ")");
}

const GPUChip *fp4::getGPUChipForComputeCapability(int major, int minor) {
  if (major == 8)
    return lookupGPUChip(minor == 9 ? "sm_89" : "sm_80");
  if (major == 10 && minor == 0)
    return lookupGPUChip("sm_100a");
  // sm_90 PTX (no architecture-specific features) runs on every later chip.
  if (major >= 9)
    return lookupGPUChip("sm_90");
  return nullptr;
}
