//===- InitAllPasses.h - Register the passes fp4 tools use -----*- C++ -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_INITALLPASSES_H
#define FP4_INITALLPASSES_H

namespace fp4 {

/// Registers the fp4 passes and pipelines and the upstream passes the
/// pipelines are built from, so `fp4-opt` can run each stage alone.
void registerAllPasses();

} // namespace fp4

#endif // FP4_INITALLPASSES_H
