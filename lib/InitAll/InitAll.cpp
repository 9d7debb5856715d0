//===- InitAll.cpp - Register the dialects and passes fp4 tools use -------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#include "fp4/InitAllDialects.h"
#include "fp4/InitAllPasses.h"

#include "fp4/Autodiff/Autodiff.h"
#include "fp4/Conversion/Passes.h"
#include "fp4/Transforms/CPUPasses.h"
#include "fp4/Transforms/Passes.h"
#include "fp4/Dialect/FP4/IR/FP4Dialect.h"
#include "fp4/Pipelines/GPUPipeline.h"
#include "fp4/Pipelines/Pipelines.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"

void fp4::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<mlir::fp4::FP4Dialect>();
  // All upstream dialects and their interface models live in libMLIR.so, so
  // registering them costs no link time and lets every pipeline stage parse.
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  fp4::registerGPUPipelineDependencies(registry);
  fp4::registerVJPExternalModels(registry);
}

void fp4::registerAllPasses() {
  mlir::registerAllPasses();
  fp4::registerFP4ConversionPasses();
  fp4::registerFP4TransformsPasses();
  fp4::registerFP4CPUPasses();
  fp4::registerPipelines();
  fp4::registerGPUPipelines();
}
