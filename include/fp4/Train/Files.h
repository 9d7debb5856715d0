//===- Files.h - Atomic output files and archives for fp4-train -*- C++ -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// Every file fp4-train writes (gradients, metrics, checkpoints, exported
// models) is written atomically: to a temporary file in the destination's
// directory, renamed over the destination once complete, so a failure or an
// interruption never leaves a partial file behind.
//
// `.npz` archives are ZIP files of `.npy` members, as `numpy.savez` writes
// them: members stored uncompressed, each with its CRC-32, no ZIP64 (so at
// most 65535 members and 4 GiB). The reader also accepts deflated members
// (`numpy.savez_compressed`) and ZIP64 size fields.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_TRAIN_FILES_H
#define FP4_TRAIN_FILES_H

#include "fp4/Runtime/Npy.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <utility>
#include <vector>

namespace fp4 {

/// Writes `contents` to `path` atomically (temporary file + rename). Errors
/// read "PATH: cannot write: REASON".
llvm::Error writeFileAtomically(llvm::StringRef path, llvm::StringRef contents);

/// Reads a whole file. Errors read "PATH: cannot read: REASON".
llvm::Expected<std::string> readFile(llvm::StringRef path);

/// One named array of an `.npz` archive (the name without `.npy`).
using NamedArray = std::pair<std::string, const NpyArray *>;

/// Serializes `arrays` as an `.npz` archive (member "NAME.npy" per array).
llvm::Expected<std::string> serializeNpz(llvm::ArrayRef<NamedArray> arrays);

/// Writes `arrays` to `path` as an `.npz` archive, atomically.
llvm::Error writeNpz(llvm::StringRef path, llvm::ArrayRef<NamedArray> arrays);

/// Reads an `.npz` archive: its `.npy` members in archive order, named
/// without the `.npy` suffix. Errors are one line starting with `path`.
llvm::Expected<std::vector<std::pair<std::string, NpyArray>>>
readNpz(llvm::StringRef path);

} // namespace fp4

#endif // FP4_TRAIN_FILES_H
