//===- JitRunner.h - JIT-run a function on host arrays ----------*- C++ -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// Compiles one function of a module with the CPU pipeline and
// `mlir::ExecutionEngine`, and runs it on `NpyArray`s.
//
// Supported signatures: every argument and result is a statically shaped
// ranked tensor, or a scalar, of f32, f16, i8, i32 or i64; a scalar is
// exchanged as a 0-d array. An i8 argument accepts int8 and uint8 arrays (the
// bytes are passed unchanged: packed 4-bit codes come as uint8). An i8 result
// is returned as int8, or as uint8 when the function's result carries the
// unit attribute `fp4.unsigned`.
//
// Calling convention: the runner adds to a clone of the module a wrapper
//
//   func.func @__fp4_run_<entry>(tensor args, scalars as 0-d tensors,
//                                bufferization.writable = false)
//       -> (tensor results, scalars as 0-d tensors)
//
// that calls the entry function, and lowers the clone with
// `fp4::buildCPUPipeline` (results become caller-allocated out-params). The
// wrapper is then invoked through `ExecutionEngine::invokePacked` with one
// expanded memref descriptor (allocated and aligned pointer, offset, sizes,
// strides) per input and per output. Output buffers are owned by the
// runner's result arrays; the compiled code frees everything it allocates.
//
// Several entries of one module can be compiled together (`createMany`: one
// clone, one pipeline run, one engine shared by the runners), and a training
// loop can call a function without allocating (`runInto`: the caller owns the
// result arrays and reuses them from call to call).
//
//===----------------------------------------------------------------------===//

#ifndef FP4_RUNTIME_JITRUNNER_H
#define FP4_RUNTIME_JITRUNNER_H

#include "fp4/Runtime/Npy.h"

#include "mlir/IR/Types.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir {
class Location;
class ModuleOp;
namespace func {
class FuncOp;
} // namespace func
} // namespace mlir

namespace fp4 {
class HostCode;

/// One argument or result of a JIT-runnable function.
struct ArraySpec {
  /// The MLIR type (`tensor<4x8xf32>` or `f32`).
  mlir::Type type;
  /// Element type of the host array; for i8 results, I8 or U8 (see above).
  DType dtype = DType::F32;
  /// Static shape; empty for scalars and 0-d tensors.
  llvm::SmallVector<int64_t, 4> shape;
  /// Whether `type` is a scalar rather than a tensor.
  bool isScalar = false;

  /// "tensor<4x8xf32>", or "f32 (a 0-d array)" for scalars.
  std::string describe() const;

  /// Returns an error "expected tensor<4x8xf32> but the array is float32
  /// [4, 7]" if `array` cannot be passed for this argument.
  llvm::Error checkArray(const NpyArray &array) const;
};

/// The signature of a JIT-runnable function.
struct FunctionSpec {
  std::string name;
  llvm::SmallVector<ArraySpec> arguments;
  llvm::SmallVector<ArraySpec> results;
};

/// Adds `@<wrapperName>` to `module`: it takes and returns every scalar of
/// `entry` as a 0-d tensor, so that after bufferization all of its arguments
/// are memrefs and all of its results out-param memrefs. Its arguments are
/// not writable, so the compiled code never writes into the input arrays.
/// The calling convention of JitRunner and CudaRunner.
void addRunnerWrapper(mlir::ModuleOp module, mlir::func::FuncOp entry,
                      const FunctionSpec &spec, llvm::StringRef wrapperName);

/// "file:line:col" of the first file location in `loc`, or "".
std::string formatFileLocation(mlir::Location loc);

/// Options of `JitRunner::create`.
struct JitRunnerOptions {
  /// LLVM optimization level (0-3) for the IR and machine-code passes.
  unsigned optLevel = 3;
  /// Threads of the compiled code (`CPUPipelineOptions::threads`): 0 (the
  /// default) uses every core, 1 generates sequential code.
  unsigned numThreads = 0;
};

/// A function compiled for the host, callable on host arrays.
class JitRunner {
public:
  /// Checks that `module` has a function `entry` with a body and a supported
  /// signature. Errors are one line, e.g. "no function 'f' (functions: a,
  /// b)" or "function 'f': argument 1 has unsupported type 'tensor<?xf32>'
  /// ...".
  static llvm::Expected<FunctionSpec> getFunctionSpec(mlir::ModuleOp module,
                                                      llvm::StringRef entry);

  /// Compiles `entry` of `module` (which is not modified: a clone is lowered)
  /// for the host. The module's context must have the dialects of
  /// `fp4::registerCPUPipelineDependencies` available; this function adds
  /// them and the LLVM IR translations to the context. Pipeline failures are
  /// reported as one line: "LOCATION: lowering to LLVM failed: MESSAGE".
  static llvm::Expected<std::unique_ptr<JitRunner>>
  create(mlir::ModuleOp module, llvm::StringRef entry,
         const JitRunnerOptions &options = {});

  /// Compiles the functions `entries` of `module` together (one lowering of
  /// one clone, one engine) and returns one runner per entry, in order. The
  /// runners share the engine; each keeps it alive.
  static llvm::Expected<std::vector<std::unique_ptr<JitRunner>>>
  createMany(mlir::ModuleOp module, llvm::ArrayRef<std::string> entries,
             const JitRunnerOptions &options = {});

  ~JitRunner();

  const FunctionSpec &getSpec() const { return spec; }

  /// Runs the function. `inputs` must match the arguments (checked: errors
  /// read "input 2: expected ..."). Returns one array per result.
  llvm::Expected<llvm::SmallVector<NpyArray>>
  run(llvm::ArrayRef<const NpyArray *> inputs);

  /// Runs the function with caller-owned result arrays: `outputs` must match
  /// the results (checked like the inputs: "output 1: expected ...") and must
  /// not share storage with the inputs. Nothing is allocated on the host
  /// side, so a training loop can call this once per step with the same
  /// arrays (double-buffering the state it carries from step to step).
  llvm::Error runInto(llvm::ArrayRef<const NpyArray *> inputs,
                      llvm::ArrayRef<NpyArray *> outputs);

private:
  JitRunner() = default;

  FunctionSpec spec;
  std::string wrapperName;
  std::shared_ptr<HostCode> engine;
  /// The wrapper's packed entry point, resolved once at creation.
  void (*packedFn)(void **) = nullptr;
};

} // namespace fp4

#endif // FP4_RUNTIME_JITRUNNER_H
