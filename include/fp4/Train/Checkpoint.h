//===- Checkpoint.h - Training checkpoints ----------------------*- C++ -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// A checkpoint holds everything a run needs to continue bit-identically: the
// number of completed epochs, the shuffling PRNG's state, the flags the run
// depends on, the deterministic metrics of the completed epochs, and every
// state tensor by role and name (parameters, momentum buffers, running
// statistics, recipe state). Timings are not part of it, so two runs that
// compute the same thing write the same bytes.
//
// Layout (little-endian):
//
//   bytes  0..7   magic "FP4CKPT\0"
//   bytes  8..11  u32 format version (1)
//   bytes 12..15  u32 CRC-32 (zlib's polynomial) of the payload
//   bytes 16..23  u64 payload size; the file ends with the payload
//   payload:
//     u64 completed epochs, u64 PRNG state
//     u32 n, n x (str key, str value)                 run configuration
//     u32 n, n x (i64 epoch, f64 train loss, f64 train accuracy,
//                 f64 test loss, f64 test accuracy)    metrics so far
//     u32 n, n x (str role, str name, str dtype ("<f4", "<i8", ...),
//                 u32 rank, rank x i64 dims, u64 bytes, the raw data)
//   str = u32 length + the bytes
//
//===----------------------------------------------------------------------===//

#ifndef FP4_TRAIN_CHECKPOINT_H
#define FP4_TRAIN_CHECKPOINT_H

#include "fp4/Train/TrainingModel.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fp4 {

/// The results of one epoch. Losses are means over samples; accuracies are
/// percentages.
struct EpochMetrics {
  int64_t epoch = 0;
  double trainLoss = 0, trainAccuracy = 0;
  double testLoss = 0, testAccuracy = 0;
  /// Wall time of the epoch (training and evaluation) and training images
  /// per second; not saved in checkpoints.
  std::optional<double> seconds, imagesPerSecond;
};

struct Checkpoint {
  int64_t epoch = 0;
  uint64_t rngState = 0;
  std::vector<std::pair<std::string, std::string>> config;
  std::vector<EpochMetrics> epochs;
  StateMap state;
};

/// The bytes of `checkpoint` in the layout above.
std::string serializeCheckpoint(const Checkpoint &checkpoint);

/// Parses and verifies (magic, version, size, CRC-32, structure) a
/// checkpoint. Errors are one line starting with `name`.
llvm::Expected<Checkpoint> parseCheckpoint(llvm::StringRef bytes,
                                           llvm::StringRef name);

} // namespace fp4

#endif // FP4_TRAIN_CHECKPOINT_H
