/*===- fp4-c/FP4.h - C API of the fp4 compiler ---------------------*- C -*-===*\
|*                                                                            *|
|* Part of the fp4 project.                                                   *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
/*
 * A small C API over the fp4 libraries, for Python (python/fp4, through
 * ctypes) and other hosts. docs/python.md describes it.
 *
 * Conventions:
 * - Every function that can fail returns an error message allocated with
 *   malloc (one line, no trailing newline), or NULL on success. The caller
 *   frees it with fp4_free_string. Nothing in this API aborts on bad input.
 * - Arrays are dense, C-ordered host buffers owned by the caller; sizes are
 *   element counts unless they are named `nbytes`.
 * - Format names are those of SPEC-numerics: "radix4_even", "radix4_odd",
 *   "radix2_fp4", "e2m1", "int4", "uint4", "e4m3", "e5m2", "f16", "bf16".
 *   Rounding is "nearest" or "stochastic".
 *
 * Numerics (fp4_quantize, fp4_encode, fp4_decode, fp4_sawb_scale,
 * fp4_gradscale_next) run the COMPILED kernels: a module with fp4.quantize /
 * fp4.dequantize / fp4.pack / fp4.unpack / fp4.compute_scale /
 * fp4.gradscale is lowered by the CPU pipeline and JIT-compiled once per
 * (operation, format, rounding, stream, element count), then cached.
 * The fp4_oracle_* functions run the reference library (lib/Numerics), for
 * tests that compare both.
 *
 * Models (fp4_model_*) wrap lib/Train's TrainingModel: an ONNX or MLIR model
 * imported, its @train_step/@eval_step/@grad_step generated, the recipe
 * applied, compiled and bound by role and name. A model is not thread-safe
 * (calls on one model are serialized by a lock); different models are
 * independent.
 */

#ifndef FP4_C_FP4_H
#define FP4_C_FP4_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define FP4_CAPI_EXPORT __attribute__((visibility("default")))
#else
#define FP4_CAPI_EXPORT
#endif

/* Element types of state tensors and results (fp4::DType). */
enum {
  FP4_DTYPE_F32 = 0,
  FP4_DTYPE_F16 = 1,
  FP4_DTYPE_I8 = 2,
  FP4_DTYPE_U8 = 3,
  FP4_DTYPE_I32 = 4,
  FP4_DTYPE_I64 = 5,
  FP4_DTYPE_F64 = 6,
};

/* Frees a string returned by this API (NULL is allowed). */
FP4_CAPI_EXPORT void fp4_free_string(char *str);

/* The version of the API ("fp4 0.1"), static storage. */
FP4_CAPI_EXPORT const char *fp4_version(void);

/*===-------------------------------------------------------------------===*
 * Formats
 *===-------------------------------------------------------------------===*/

/* Bits per element of `format` (4, 8 or 16) in *bits. */
FP4_CAPI_EXPORT char *fp4_format_bits(const char *format, int *bits);

/* Bytes of the packed codes of n elements (SPEC section 3). */
FP4_CAPI_EXPORT char *fp4_storage_bytes(const char *format, int64_t n,
                                        int64_t *nbytes);

/*===-------------------------------------------------------------------===*
 * Compiled numerics
 *===-------------------------------------------------------------------===*/

/* out[i] = Q_format(x[i] * scale) / scale for i < n. `counters` (may be
 * NULL) receives the saturated, flushed and non-finite counts. */
FP4_CAPI_EXPORT char *fp4_quantize(const float *x, int64_t n,
                                   const char *format, float scale,
                                   const char *rounding, uint64_t seed,
                                   uint32_t stream, float *out,
                                   int64_t *counters);

/* The codes of x[0..n) * scale, packed as SPEC section 3 says, written to
 * `codes` (fp4_storage_bytes bytes; 16-bit codes little-endian). */
FP4_CAPI_EXPORT char *fp4_encode(const float *x, int64_t n, const char *format,
                                 float scale, const char *rounding,
                                 uint64_t seed, uint32_t stream,
                                 uint8_t *codes, int64_t nbytes,
                                 int64_t *counters);

/* out[i] = decode(code_i) / scale for n codes stored in `codes`. */
FP4_CAPI_EXPORT char *fp4_decode(const uint8_t *codes, int64_t nbytes,
                                 int64_t n, const char *format, float scale,
                                 float *out);

/* The SAWB int4 scale of w[0..n) (SPEC 4.2). */
FP4_CAPI_EXPORT char *fp4_sawb_scale(const float *w, int64_t n, float *scale);

/* fp4.gradscale on g[0..n) with the scale in force `scale` (0: not yet
 * initialized): the next step's scale (SPEC 4.1). `mode` is "delayed" or
 * "current". */
FP4_CAPI_EXPORT char *fp4_gradscale_next(const float *g, int64_t n,
                                         float scale, const char *format,
                                         const char *mode, float *next);

/* Number of kernels in the compiled-kernel cache (for tests). */
FP4_CAPI_EXPORT int64_t fp4_kernel_cache_size(void);

/*===-------------------------------------------------------------------===*
 * Reference numerics (lib/Numerics, the oracle)
 *===-------------------------------------------------------------------===*/

FP4_CAPI_EXPORT char *fp4_oracle_encode(const float *x, int64_t n,
                                        const char *format, float scale,
                                        const char *rounding, uint64_t seed,
                                        uint32_t stream, uint8_t *codes,
                                        int64_t nbytes, int64_t *counters);
FP4_CAPI_EXPORT char *fp4_oracle_decode(const uint8_t *codes, int64_t nbytes,
                                        int64_t n, const char *format,
                                        float scale, float *out);
FP4_CAPI_EXPORT char *fp4_oracle_sawb_scale(const float *w, int64_t n,
                                            float *scale);
/* gradscaleNext(s, m, format, mode, first_step) with m = max|g * s|. */
FP4_CAPI_EXPORT char *fp4_oracle_gradscale_next(float scale, float m,
                                                const char *format,
                                                const char *mode,
                                                int first_step, float *next);

/*===-------------------------------------------------------------------===*
 * Passes
 *===-------------------------------------------------------------------===*/

/* Parses `mlir_text`, runs `pipeline` (a pass pipeline like fp4-opt's
 * --pass-pipeline; a pipeline without an anchor is run on the module) and
 * returns the printed module in *out (free with fp4_free_string). */
FP4_CAPI_EXPORT char *fp4_opt(const char *mlir_text, const char *pipeline,
                              char **out);

/*===-------------------------------------------------------------------===*
 * Training models
 *===-------------------------------------------------------------------===*/

typedef struct fp4_model fp4_model;

typedef struct fp4_model_options {
  /* "fp32", a built-in recipe name or a .json recipe file. */
  const char *recipe;
  /* Batch size (fixes a symbolic batch dimension); 0: the model's own. */
  int64_t batch;
  double momentum;
  double weight_decay;
  /* LLVM optimization level 0..3 and threads of the compiled code (0: every
   * core). */
  int32_t opt_level;
  int32_t threads;
} fp4_model_options;

/* Imports, transforms and compiles the model at `path` (.onnx or .mlir) and
 * initializes its state from the model's initializers and role defaults. */
FP4_CAPI_EXPORT char *fp4_model_create(const char *path,
                                       const fp4_model_options *options,
                                       fp4_model **model);
FP4_CAPI_EXPORT void fp4_model_destroy(fp4_model *model);

/* The input shape ([batch, ...], valid while the model lives), the number
 * of classes. */
FP4_CAPI_EXPORT void fp4_model_input_shape(fp4_model *model, int64_t *rank,
                                           const int64_t **shape);
FP4_CAPI_EXPORT int64_t fp4_model_num_classes(fp4_model *model);

/* Step functions. */
enum { FP4_STEP_TRAIN = 0, FP4_STEP_EVAL = 1, FP4_STEP_GRAD = 2 };

/* Calls one step function on one batch: `x` holds prod(input shape) f32
 * values, `labels` batch class indices. FP4_STEP_TRAIN updates the state
 * (and sums the recipe's per-step counters into `counters_total` state
 * tensors, like fp4-train); the others leave it as it is. */
FP4_CAPI_EXPORT char *fp4_model_run(fp4_model *model, int step, const float *x,
                                    int64_t x_numel, const int64_t *labels,
                                    int64_t num_labels, double lr,
                                    double *loss, int64_t *correct);

/* The results of the last call of `step`: their number, and per result its
 * role and name (`fp4.role`, `fp4.onnx_name`), dtype, shape and data (valid
 * until the next call on the model). */
FP4_CAPI_EXPORT int64_t fp4_model_num_results(fp4_model *model, int step);
FP4_CAPI_EXPORT char *fp4_model_result(fp4_model *model, int step,
                                       int64_t index, const char **role,
                                       const char **name, int *dtype,
                                       int64_t *rank, const int64_t **shape,
                                       const void **data, int64_t *nbytes);

/* The state tensors (parameters, running statistics, momentum buffers,
 * recipe state), ordered by (role, name); pointers valid until the next
 * call on the model. */
FP4_CAPI_EXPORT int64_t fp4_model_num_state(fp4_model *model);
FP4_CAPI_EXPORT char *fp4_model_state(fp4_model *model, int64_t index,
                                      const char **role, const char **name,
                                      int *dtype, int64_t *rank,
                                      const int64_t **shape, const void **data,
                                      int64_t *nbytes);
/* Replaces the value of the state tensor (role, name): dtype and element
 * count must match. */
FP4_CAPI_EXPORT char *fp4_model_set_state(fp4_model *model, const char *role,
                                          const char *name, int dtype,
                                          const void *data, int64_t nbytes);

/* Writes the ONNX model with the current parameters and running statistics
 * (lib/Train's exportONNX). */
FP4_CAPI_EXPORT char *fp4_model_export_onnx(fp4_model *model,
                                            const char *path);

#ifdef __cplusplus
}
#endif

#endif /* FP4_C_FP4_H */
