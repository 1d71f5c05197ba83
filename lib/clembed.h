/*
 * clembed: text embeddings with transformer encoders on any OpenCL device.
 *
 * This header is the specification of the library.  Conventions:
 *  - Fallible functions return clembed_status; CLEMBED_OK is 0.  On failure
 *    clembed_errmsg() returns a thread-local message saying what failed and
 *    where.  The library never exits, aborts or prints except through the
 *    logger.
 *  - Constructors write to an out-parameter and leave it NULL on failure.
 *    Every *_free() accepts NULL.
 *  - A clembed_model and a clembed_tokenizer are immutable after open and may
 *    be shared by any number of threads.  A clembed_context is used by one
 *    thread at a time.
 *  - Results go to caller-owned buffers whose size can be queried first.
 */
#ifndef CLEMBED_H
#define CLEMBED_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(CLEMBED_BUILDING) && defined(__GNUC__)
#define CLEMBED_API __attribute__((visibility("default")))
#else
#define CLEMBED_API
#endif

/* ---- version ------------------------------------------------------------ */

#define CLEMBED_VERSION_MAJOR 0
#define CLEMBED_VERSION_MINOR 1
#define CLEMBED_VERSION_PATCH 0
#define CLEMBED_VERSION_STRING "0.1.0"
#define CLEMBED_VERSION_NUMBER \
    (CLEMBED_VERSION_MAJOR * 10000 + CLEMBED_VERSION_MINOR * 100 + CLEMBED_VERSION_PATCH)

/* The version of the library actually linked, as CLEMBED_VERSION_NUMBER. */
CLEMBED_API int clembed_version(void);
CLEMBED_API const char *clembed_version_string(void);

/* ---- status codes ------------------------------------------------------- */

/* Codes are only ever appended; their numbers are part of the ABI. */
#define CLEMBED_STATUS_LIST(X)                                              \
    X(OK,              0, "success")                                        \
    X(ERR_INVALID_ARG, 1, "invalid argument")                               \
    X(ERR_NOMEM,       2, "out of host memory")                             \
    X(ERR_IO,          3, "file input/output error")                        \
    X(ERR_FORMAT,      4, "malformed input")                                \
    X(ERR_UNSUPPORTED, 5, "unsupported model or feature")                   \
    X(ERR_NO_DEVICE,   6, "no usable OpenCL device")                        \
    X(ERR_OPENCL,      7, "OpenCL call failed")                             \
    X(ERR_BUILD,       8, "OpenCL kernel build failed")                     \
    X(ERR_DEVICE_MEMORY, 9, "device out of memory")                         \
    X(ERR_UTF8,        10, "invalid UTF-8 in input text")                   \
    X(ERR_NOT_FOUND,   11, "not found")                                     \
    X(ERR_PROFILE,     12, "unusable tuning profile")                       \
    X(ERR_TOO_LARGE,   13, "input exceeds a size limit")                    \
    X(ERR_INTERNAL,    14, "internal error")                                \
    X(ERR_MISMATCH,    15, "result does not match the reference")

typedef enum clembed_status {
#define CLEMBED_X_(name, num, text) CLEMBED_##name = num,
    CLEMBED_STATUS_LIST(CLEMBED_X_)
#undef CLEMBED_X_
} clembed_status;

/* A static English description of a status code; never NULL. */
CLEMBED_API const char *clembed_strerror(clembed_status status);

/* Details of the last failure in the calling thread ("" when none).  The
 * string stays valid until the next clembed call in the same thread. */
CLEMBED_API const char *clembed_errmsg(void);

/* ---- logging ------------------------------------------------------------ */

typedef enum clembed_log_level {
    CLEMBED_LOG_DEBUG = 0,
    CLEMBED_LOG_INFO  = 1,
    CLEMBED_LOG_WARN  = 2,
    CLEMBED_LOG_ERROR = 3,
    CLEMBED_LOG_NONE  = 4
} clembed_log_level;

typedef void (*clembed_log_fn)(clembed_log_level level, const char *msg, void *user);

/* Installs a log callback (NULL restores the default, which writes
 * "clembed: <level>: <msg>" lines to stderr).  The callback may be called
 * from any thread that calls into the library. */
CLEMBED_API void clembed_log_set_callback(clembed_log_fn fn, void *user);

/* Messages below this level are dropped.  The default is WARN, or what the
 * CLEMBED_LOG environment variable says (debug|info|warn|error|none). */
CLEMBED_API void clembed_log_set_level(clembed_log_level level);
CLEMBED_API clembed_log_level clembed_log_get_level(void);

/* ---- devices ------------------------------------------------------------ */

typedef enum clembed_device_type {
    CLEMBED_DEVICE_OTHER = 0,
    CLEMBED_DEVICE_CPU   = 1,
    CLEMBED_DEVICE_GPU   = 2,
    CLEMBED_DEVICE_ACCELERATOR = 3
} clembed_device_type;

/* What tuning and kernels need to know of a device.  Strings are owned by the
 * library and live as long as the process. */
typedef struct clembed_device_info {
    size_t      index;             /* position in the library's device list */
    const char *platform_name;
    const char *platform_vendor;
    const char *platform_version;
    const char *name;
    const char *vendor;
    const char *driver_version;
    const char *device_version;     /* "OpenCL 3.0 ..." */
    const char *opencl_c_version;   /* "OpenCL C 1.2 ..." */
    const char *extensions;
    clembed_device_type type;
    uint32_t    vendor_id;
    uint32_t    compute_units;
    uint32_t    max_clock_mhz;
    uint64_t    global_mem_bytes;
    uint64_t    max_alloc_bytes;
    uint64_t    local_mem_bytes;
    uint64_t    global_cache_bytes;
    size_t      max_work_group_size;
    size_t      max_work_item_sizes[3];
    uint32_t    preferred_vector_width_float;
    int         fp16;               /* cl_khr_fp16 */
    int         fp64;               /* cl_khr_fp64 */
    int         subgroups;          /* cl_khr_subgroups, cl_intel_subgroups or OpenCL C 3.0's
                                       __opencl_c_subgroups (clembed_device_details says which) */
    int         unified_memory;     /* host and device share memory: the driver says so, a CPU,
                                       or an APU by its architecture */
    int         profiling;          /* queue profiling supported */
    uint8_t     uuid[16];           /* cl_khr_device_uuid, zeros when absent */
    int         has_uuid;
} clembed_device_info;

/* Number of OpenCL devices on all platforms that answered.  A platform that
 * fails to answer is skipped with a warning.  Enumeration happens once per
 * process and is thread-safe. */
CLEMBED_API size_t clembed_device_count(void);

/* OpenCL platforms found, with or without devices (a platform that failed to
 * answer is not counted).  *name and *hint are owned by the library; *hint is
 * "" or advice when the platform lists no devices (Mesa rusticl lists devices
 * only with RUSTICL_ENABLE set).  CLEMBED_ERR_NOT_FOUND past the end. */
CLEMBED_API size_t clembed_platform_count(void);
CLEMBED_API clembed_status clembed_platform_get(size_t index, const char **name, size_t *n_devices,
                                                const char **hint);

/* Fills *info for device `index`; CLEMBED_ERR_NOT_FOUND past the end. */
CLEMBED_API clembed_status clembed_device_get(size_t index, clembed_device_info *info);

/* Resolves a device selector to an index.  NULL or "" means the
 * CLEMBED_DEVICE environment variable if set, else the default: the first
 * GPU, else the first device (contexts and the programs choose with
 * clembed_device_default(), which also weighs the platforms one GPU is
 * listed on).  A selector is, case-insensitively:
 *  - a decimal index into the device list (as `clembed info` numbers it);
 *  - a word: "pocl" or "rusticl" (the platform), "cpu" or "gpu" (the device
 *    type), "nvidia", "amd" or "intel" (the hardware vendor, by PCI vendor id
 *    or vendor name: PoCL on an Intel CPU is "intel").  A word picks among
 *    the devices it matches as the default picks among all: the first GPU,
 *    else the first in list order;
 *  - a device's whole name, or any other text contained in
 *    "platform name / device name"; it must match exactly one device.
 * Errors: CLEMBED_ERR_NOT_FOUND when nothing matches, CLEMBED_ERR_INVALID_ARG
 * when a text matches several devices; clembed_errmsg() names the selector
 * (or CLEMBED_DEVICE) and lists the devices concerned.  CLEMBED_ERR_NO_DEVICE
 * when there is no device at all.  Thread-safe. */
CLEMBED_API clembed_status clembed_device_select(const char *selector, size_t *index);

/* The selector words above, one per i from 0 ("pocl", "rusticl", "cpu",
 * ...); NULL past the end.  `clembed info` shows, for each device, those that
 * select it.  Static strings. */
CLEMBED_API const char *clembed_device_selector_word(size_t i);

/* What clembed_device_info leaves out: the name read apart into the hardware and the software
 * drivers append to it, the architecture, where the device sits, capabilities from the OpenCL
 * 3.0 queries, memory as contexts plan it, and the devices of other platforms that are the
 * same hardware.  Strings are owned by the library and live as long as the process. */
typedef struct clembed_device_details {
    size_t      size;               /* set by the caller to sizeof(clembed_device_details); the
                                       library fills that much, so the struct may grow */
    const char *hardware_name;      /* "Radeon 8060S Graphics" of "Radeon 8060S Graphics (radeonsi,
                                       gfx1151, LLVM 20.1.8, DRM 3.64, 6.17.1-2-cachyos)" */
    const char *software_part;      /* "radeonsi, LLVM 20.1.8, DRM 3.64, 6.17.1-2-cachyos"; "" */
    const char *architecture;       /* "gfx1151", "sm_35", "skylake-avx512"; "" when unknown */
    const char *family;             /* "gfx11", "sm_3"; "" */
    const char *board_name;         /* AMD's name for the board under ROCm; "" */
    const char *pci_bus_id;         /* "0000:c3:00.0"; "" when the driver does not say */
    const char *platform_kind;      /* "rocm", "rusticl", "pocl", "nvidia", "intel", "clover", "other" */
    const char *subgroups_from;     /* what grants sub-groups: "cl_khr_subgroups",
                                       "__opencl_c_subgroups" (OpenCL C 3.0), "cl_intel_subgroups"; "" */
    int         subgroup_shuffle;   /* cl_khr_subgroup_shuffle */
    int         subgroup_shuffle_relative; /* cl_khr_subgroup_shuffle_relative */
    int         host_unified_memory;/* CL_DEVICE_HOST_UNIFIED_MEMORY as the driver answered
                                       (clembed_device_info.unified_memory is what holds) */
    int         integrated;         /* an APU by its architecture: its GPU uses the host's memory */
    size_t      same_hardware;      /* the first device that is this hardware (its own index when
                                       no other platform shows it) */
    size_t      same_hardware_count;/* devices, on all platforms, that are this hardware */
    uint64_t    usable_bytes;       /* what a context fits weights and scratch into: the host's
                                       available memory where the device shares it, else the
                                       device's global memory */
    uint64_t    max_buffer_bytes;   /* the largest buffer: CL_DEVICE_MAX_MEM_ALLOC_SIZE, or
                                       CLEMBED_MAX_ALLOC when lower */
    uint64_t    host_available_bytes; /* the host's available memory where it bounds usable_bytes; 0 */
    int         host_pointers;      /* weights are used in place in host memory (CL_MEM_USE_HOST_PTR) */
} clembed_device_details;

/* Fills *details (details->size set first) for device `index`; CLEMBED_ERR_NOT_FOUND past the
 * end, CLEMBED_ERR_INVALID_ARG for a size smaller than the first members'. */
CLEMBED_API clembed_status clembed_device_details_get(size_t index, clembed_device_details *details);

/* ---- kernel binary cache ------------------------------------------------ */

/* The directory used for compiled kernel binaries: CLEMBED_CACHE_DIR, else
 * $XDG_CACHE_HOME/clembed, else $HOME/.cache/clembed; NULL when the cache is
 * disabled (CLEMBED_CACHE_DIR=off). */
CLEMBED_API const char *clembed_cache_dir(void);

/* ---- tokenizer ---------------------------------------------------------- */

/* A Hugging Face tokenizer (tokenizer.json).  Its output equals that of the
 * Hugging Face `tokenizers` library (version in tools/requirements-reference.txt)
 * token for token: added tokens, normalizers, pre-tokenizers, the WordPiece,
 * WordLevel, BPE and Unigram models, post-processors, truncation, padding. */
typedef struct clembed_tokenizer clembed_tokenizer;

/* Opens a Hugging Face tokenizer.json, or the tokenizer.json inside a model
 * directory.  The tokenizer is immutable and thread-safe: any number of
 * threads may encode and decode with it at once.  Errors: CLEMBED_ERR_NOT_FOUND
 * (no such file), CLEMBED_ERR_IO (unreadable), CLEMBED_ERR_FORMAT (malformed JSON or
 * component), CLEMBED_ERR_UNSUPPORTED (a component type this library does not
 * know); clembed_errmsg() names the file and the component. */
CLEMBED_API clembed_status clembed_tokenizer_open(const char *path, clembed_tokenizer **out);
/* Frees the tokenizer; encodings made with it stay valid.  NULL is a no-op. */
CLEMBED_API void clembed_tokenizer_free(clembed_tokenizer *tok);

typedef struct clembed_encode_params {
    size_t size;          /* set by clembed_encode_params_init() */
    int    add_special;   /* 1 (default): apply the post-processor ([CLS], [SEP], ...) */
    int    truncation;    /* -1 = as tokenizer.json says (default), 0 = off, 1 = on */
    size_t max_length;    /* with truncation = 1: the limit in tokens, special tokens
                             included; 0 = tokenizer.json's (512 when it has none).
                             The strategy and direction are tokenizer.json's
                             (longest first, right, when it has none). */
    int    padding;       /* -1 = as tokenizer.json says (default), 0 = off,
                             1 = to the longest encoding of the batch (what
                             sentence-transformers does), with tokenizer.json's
                             pad token, direction and multiple ([PAD], 0, right
                             when it has none) */
    int    replace_invalid_utf8; /* 0 (default): invalid UTF-8 is CLEMBED_ERR_UTF8
                             with the byte offset in clembed_errmsg(); 1: each
                             maximal invalid subsequence becomes U+FFFD, and
                             offsets count code points of the replaced text */
} clembed_encode_params;

/* Sets the defaults above.  A NULL params pointer means the same defaults. */
CLEMBED_API void clembed_encode_params_init(clembed_encode_params *p);

/* One encoded text (or pair).  All arrays have `n` entries and belong to the
 * encoding (one allocation, released by clembed_encoding_free()).  Offsets
 * are [start, end) in Unicode code points of the input text they come from
 * (the first or the second of a pair, see sequence_ids), as the Python
 * library reports them for str input; special and padding tokens have (0, 0). */
typedef struct clembed_encoding {
    size_t    n;
    int32_t  *ids;
    int32_t  *type_ids;
    uint8_t  *attention_mask;  /* 0 for padding */
    uint8_t  *special_mask;    /* 1 for tokens added by the post-processor and padding */
    int8_t   *sequence_ids;    /* 0, 1, or -1 for special and padding tokens */
    size_t   (*offsets)[2];
    char    **tokens;          /* token strings (vocabulary entries; for added tokens
                                  and Unigram pieces, the matched text) */
    int       truncated;       /* 1 when tokens were dropped by truncation */
} clembed_encoding;

/* Encodes `text` (UTF-8, `len` bytes; (size_t)-1 means NUL-terminated), or
 * the pair (text, pair) when pair is not NULL.  params may be NULL.  With
 * padding to the longest (padding = 1) a single encoding is not padded.
 * Thread-safe.  Errors: CLEMBED_ERR_UTF8, CLEMBED_ERR_NOMEM,
 * CLEMBED_ERR_TOO_LARGE (texts of 2 GiB or more), CLEMBED_ERR_FORMAT (a word
 * the model cannot encode and no unknown token), CLEMBED_ERR_INVALID_ARG
 * (a truncation strategy that cannot reach max_length). */
CLEMBED_API clembed_status clembed_tokenizer_encode(const clembed_tokenizer *tok,
                                                    const char *text, size_t len,
                                                    const char *pair, size_t pair_len,
                                                    const clembed_encode_params *params,
                                                    clembed_encoding **out);

/* Encodes n texts (NUL-terminated; pairs may be NULL or have n entries, any
 * of them NULL) into out[0..n-1], using up to `threads` threads (0 = one per
 * core).  Padding to the longest pads to the longest of these n.  On failure
 * every out[i] is NULL and clembed_errmsg() names the index of the failing
 * text. */
CLEMBED_API clembed_status clembed_tokenizer_encode_batch(const clembed_tokenizer *tok,
                                                          const char *const *texts,
                                                          const char *const *pairs, size_t n,
                                                          const clembed_encode_params *params,
                                                          unsigned threads,
                                                          clembed_encoding **out);

/* Frees an encoding; NULL is a no-op. */
CLEMBED_API void clembed_encoding_free(clembed_encoding *enc);

/* Decodes ids back to text (decoder as tokenizer.json says; without one, the
 * tokens joined by spaces).  Unknown ids are skipped; skip_special drops
 * special added tokens.  *out is a NUL-terminated string to release with
 * free().  Thread-safe. */
CLEMBED_API clembed_status clembed_tokenizer_decode(const clembed_tokenizer *tok,
                                                    const int32_t *ids, size_t n,
                                                    int skip_special, char **out);

/* Vocabulary size including added tokens (distinct token strings). */
CLEMBED_API size_t clembed_tokenizer_vocab_size(const clembed_tokenizer *tok);

/* ---- model -------------------------------------------------------------- */

typedef struct clembed_model clembed_model;

typedef struct clembed_model_params {
    size_t size;          /* set by clembed_model_params_init() */
    int    load_tokenizer; /* 1 (default): open DIR/tokenizer.json too */
} clembed_model_params;

CLEMBED_API void clembed_model_params_init(clembed_model_params *p);

/* Opens a Hugging Face / sentence-transformers model directory: config.json,
 * model.safetensors (or a sharded index), modules.json and the module
 * folders, tokenizer.json.  Weights are memory-mapped.  params may be NULL.
 * The directory is read as sentence-transformers 6 reads it (legacy and
 * current file forms; without modules.json, mean pooling).  Errors name the
 * file: CLEMBED_ERR_NOT_FOUND for a missing file, CLEMBED_ERR_FORMAT for a
 * malformed one, CLEMBED_ERR_UNSUPPORTED for an architecture, module or
 * setting clembed cannot run, CLEMBED_ERR_TOO_LARGE past a size limit.
 * Files must not change while the model is open (they are mapped). */
CLEMBED_API clembed_status clembed_model_open(const char *dir, const clembed_model_params *params,
                                              clembed_model **out);
CLEMBED_API void clembed_model_free(clembed_model *model);

/* The embedding dimension after the whole module chain (before any
 * truncate_dim of config_sentence_transformers.json). */
CLEMBED_API size_t clembed_model_dim(const clembed_model *model);
/* The effective maximum sequence length in tokens, special tokens included:
 * sentence-transformers' value, at most the positions the model has. */
CLEMBED_API size_t clembed_model_max_tokens(const clembed_model *model);
/* The model's tokenizer, owned by the model (NULL if not loaded). */
CLEMBED_API const clembed_tokenizer *clembed_model_tokenizer(const clembed_model *model);

/* A JSON description of what was understood of the directory (architecture,
 * dimensions, module chain, pooling, prompts, parameters, bytes).  Release
 * with free(). */
CLEMBED_API clembed_status clembed_model_describe_json(const clembed_model *model, char **out);

/* ---- context and embedding ---------------------------------------------- */

/* A context runs one model on one OpenCL device: a command queue, the
 * kernels built for the device (through the binary cache and the tuning
 * profile), the model's weights on the device (uploaded once; used in place
 * where the device shares host memory) and scratch for one batch.  A context
 * is used by one thread at a time; several contexts, on one device or on
 * several, may share one model from any number of threads. */
typedef struct clembed_context clembed_context;

typedef struct clembed_context_params {
    size_t      size;          /* set by clembed_context_params_init() */
    const char *device;        /* selector, see clembed_device_select(); NULL = clembed_device_default() */
    const char *profile;       /* profile path; NULL = lookup order, "off" = built-in defaults */
    uint32_t    max_tokens;    /* tokens per text, special tokens included; longer texts are
                                  truncated.  0 = the model's max_seq_length; never more than
                                  the model's position table */
    uint32_t    batch_tokens;  /* padded tokens per device batch (sequences x longest); sets
                                  the scratch memory.  0 = the profile's, else 4096; raised to
                                  max_tokens when smaller */
    int         normalize;     /* -1 (default) = as the module chain says (sentence-transformers'
                                  encode()); 0 = skip the chain's Normalize modules; 1 = also
                                  L2-normalize the final vectors, after truncate_dim
                                  (normalize_embeddings=True) */
    uint32_t    truncate_dim;  /* keep the first N dimensions after the module chain (Matryoshka);
                                  the chain's Normalize still acts on the full vector, as in
                                  sentence-transformers.  0 = the model's truncate_dim, if any */
    const char *prompt_name;   /* prompt prepended to every text; NULL = the model's default
                                  prompt, if any */
    const char *prompt;        /* literal prompt; overrides prompt_name; "" = none */
    int         profiling;     /* 1: record per-op device times (clembed_context_op_times) */
    const char *precision;     /* how the encoder's matrices and embedding tables are stored on
                                  the device: "fp32"; "fp16" (16 bits: half, or bfloat16 for a
                                  BF16 model; GEMMs then run on clembed's kernel; vectors within
                                  cosine 0.9999 of fp32 for an F32 model); NULL or "auto" = the
                                  CLEMBED_PRECISION environment variable if set, else the file's
                                  own dtype where the GEMMs run on clembed's kernel (lossless: an
                                  F16 or BF16 model keeps its 16 bits) and fp32 where they run on
                                  CLBlast or a host BLAS.  Arithmetic is fp32 in every case. */
} clembed_context_params;

/* Defaults: everything 0 or NULL except size and normalize (-1). */
CLEMBED_API void clembed_context_params_init(clembed_context_params *p);

/* Creates a context for `model` (which must outlive it) on a device.
 * params may be NULL (defaults).  Errors: CLEMBED_ERR_UNSUPPORTED for a
 * model this encoder does not run (clembed_model_open() already refuses the
 * architectures it does not know; the chain must be the transformer, a
 * Pooling module and Dense/Normalize modules after it);
 * CLEMBED_ERR_NOT_FOUND for an unknown device or prompt name;
 * CLEMBED_ERR_INVALID_ARG for a device selector that matches several devices;
 * CLEMBED_ERR_DEVICE_MEMORY when the weights and the scratch for
 * batch_tokens do not fit the device (the message suggests a smaller
 * batch_tokens); CLEMBED_ERR_BUILD, CLEMBED_ERR_OPENCL from the driver. */
CLEMBED_API clembed_status clembed_context_new(const clembed_model *model,
                                               const clembed_context_params *params,
                                               clembed_context **out);
CLEMBED_API void clembed_context_free(clembed_context *ctx);

/* Output dimension of this context (truncate_dim applied). */
CLEMBED_API size_t clembed_context_dim(const clembed_context *ctx);

/* Per-input facts of a clembed_embed call. */
typedef struct clembed_embed_info {
    uint32_t tokens;     /* tokens fed to the encoder, special tokens and prompt included */
    int      truncated;  /* 1 when the input was cut to max_tokens */
} clembed_embed_info;

/* Embeds n NUL-terminated UTF-8 texts into out (n * clembed_context_dim()
 * floats, row-major, in the caller's order); out_len is out's size in
 * floats.  `info` may be NULL or hold n entries.  Texts are tokenized, sorted
 * by length and packed into device batches under batch_tokens, as
 * sentence-transformers batches them; results do not depend on the packing.
 * n == 0 is a no-op returning CLEMBED_OK.  Errors: CLEMBED_ERR_INVALID_ARG
 * (NULL texts or out, out_len too small), CLEMBED_ERR_UTF8 (invalid UTF-8;
 * the message names the text), CLEMBED_ERR_DEVICE_MEMORY, CLEMBED_ERR_OPENCL.
 * On failure the contents of out are unspecified. */
CLEMBED_API clembed_status clembed_embed(clembed_context *ctx, const char *const *texts, size_t n,
                                         float *out, size_t out_len, clembed_embed_info *info);

/* Per-op device times accumulated since the context was created (with
 * params.profiling = 1): each op by its registry name (whichever variant
 * of its kernel ran), each GEMM by its role, the transfers.  A GEMM's time runs from the end of the command before it to
 * the end of its last kernel. */
typedef struct clembed_op_time {
    const char *op;       /* op or GEMM name; static */
    double      seconds;
    uint64_t    calls;
    double      flops;    /* the floating-point operations it had to do (a multiply-add counts
                           * 2), and the bytes it had to move at least: with a device's probed
                           * peaks (clembed_device_probe), how near its roofline it ran */
    double      bytes;
    const char *provider; /* a GEMM's provider ("kernel", "clblast", "blas"); NULL for the
                           * other ops.  Static */
} clembed_op_time;

/* Fills up to `cap` entries (times may be NULL when cap is 0) and returns the
 * number of ops with times, which may exceed cap. */
CLEMBED_API size_t clembed_context_op_times(const clembed_context *ctx, clembed_op_time *times,
                                            size_t cap);

/* Bytes the context holds on its device: the model's weights (as
 * clembed_context_precision stores them, fused where the encoder fuses them)
 * and the scratch of one batch.  Either pointer may be NULL. */
CLEMBED_API clembed_status clembed_context_device_bytes(const clembed_context *ctx, size_t *weights,
                                                        size_t *scratch);

/* How the context stores the encoder's matrices and embedding tables on its device: "fp32",
 * "fp16" or "bf16" (see clembed_context_params.precision); NULL for a NULL ctx. */
CLEMBED_API const char *clembed_context_precision(const clembed_context *ctx);

/* ---- tuning ------------------------------------------------------------- */

/* A profile holds what the tuner measured on one device: the device and
 * software identity it was measured with, the probe results, the chosen
 * kernel variants and parameters per op and shape with their times, and
 * CLBlast parameter overrides.  Its serialized form is a JSON document.
 *
 * The tuning functions do no file or terminal I/O: clembed-tune reads and
 * writes the files and draws the progress.  A profile is immutable once
 * returned and may be read from several threads. */
typedef struct clembed_profile clembed_profile;

/* How a device relates to a profile. */
typedef enum clembed_profile_state {
    CLEMBED_PROFILE_NONE    = 0, /* none found: built-in defaults */
    CLEMBED_PROFILE_USED    = 1, /* matches the device and its software stack */
    CLEMBED_PROFILE_STALE   = 2, /* same hardware, other driver, kernels or library:
                                    its choices are starting points */
    CLEMBED_PROFILE_FOREIGN = 3, /* measured on other hardware: ignored */
    CLEMBED_PROFILE_CORRUPT = 4, /* unreadable or malformed: ignored */
    CLEMBED_PROFILE_OFF     = 5  /* disabled ("off"): built-in defaults */
} clembed_profile_state;

/* "none", "used", "stale", "foreign", "corrupt", "off"; never NULL. */
CLEMBED_API const char *clembed_profile_state_name(clembed_profile_state state);

/* Profiles are small: a larger file is not one. */
#define CLEMBED_PROFILE_MAX_BYTES ((size_t)16 << 20)

/* Parses a serialized profile (`len` bytes; need not be NUL-terminated).
 * Malformed input gives CLEMBED_ERR_PROFILE and a message naming the field;
 * more than CLEMBED_PROFILE_MAX_BYTES, CLEMBED_ERR_TOO_LARGE. */
CLEMBED_API clembed_status clembed_profile_parse(const char *json, size_t len, clembed_profile **out);

/* Serializes p; *out is NUL-terminated JSON to release with free(). */
CLEMBED_API clembed_status clembed_profile_to_json(const clembed_profile *p, char **out);

CLEMBED_API void clembed_profile_free(clembed_profile *p);

/* Compares p with device `device`.  `why` (may be NULL) receives what
 * differs, e.g. "driver version 3.1 (profile: 3.0)".  Never CORRUPT. */
CLEMBED_API clembed_profile_state clembed_profile_match(const clembed_profile *p, size_t device,
                                                        char *why, size_t why_cap);

/* 1 when the run that produced p finished (not interrupted). */
CLEMBED_API int clembed_profile_complete(const clembed_profile *p);

/* The file name of device `device`'s profile: the hardware part of its name,
 * sanitized, and a hash of its hardware identity and platform
 * ("intel-r-xeon-r-processor-3f1c...json", "llvmpipe-...json"), so one
 * directory holds the profiles of several devices and a driver, compiler or
 * kernel update keeps the name.  Two identical GPUs of one platform also
 * hash where they sit. */
CLEMBED_API clembed_status clembed_profile_file_name(size_t device, char *buf, size_t cap);

/* Which devices a profile serves.  A device's own profile comes first; where
 * it lacks an op (or has no file at all), profiles for the device's
 * architecture, family, and vendor and type fill in, in that order, as
 * CLBlast's database falls back. */
typedef enum clembed_profile_level {
    CLEMBED_PROFILE_LEVEL_DEVICE       = 0, /* tuned on this device */
    CLEMBED_PROFILE_LEVEL_ARCHITECTURE = 1, /* its architecture: "gfx1151", "sm_89" */
    CLEMBED_PROFILE_LEVEL_FAMILY       = 2, /* its family: "gfx11", "sm_8" */
    CLEMBED_PROFILE_LEVEL_VENDOR       = 3  /* its vendor id and type: "1002-gpu" */
} clembed_profile_level;

/* "device", "architecture", "family", "vendor"; never NULL. */
CLEMBED_API const char *clembed_profile_level_name(clembed_profile_level level);

/* One profile that serves a device, as clembed_device_profile_sources() lists them. */
typedef struct clembed_profile_source {
    clembed_profile_level level;
    clembed_profile_state state;   /* USED or STALE (device level; other levels are USED) */
    char   key[64];                /* the class: "gfx1151", "gfx11", "1002-gpu"; "" for the device */
    char   path[4096];
    size_t ops;                    /* ops whose choices it gives */
    size_t clblast_sets;           /* CLBlast parameter sets it gives */
} clembed_profile_source;

/* The profiles a context on `device` combines, most specific first, found as
 * clembed_device_profile_state() finds the device's own (`path` likewise) and
 * then, for each class of the device, "<level>-<key>.json" in the same
 * directories: each fills the ops the ones before it lack.  Fills up to cap
 * entries of out and returns how many serve (0: built-in defaults alone).
 * Logs nothing and leaves clembed_errmsg() as it was. */
CLEMBED_API size_t clembed_device_profile_sources(size_t device, const char *path, clembed_profile_source *out,
                                                  size_t cap);

/* A copy of p that serves the `level` class of the device it was measured on
 * (its architecture, family, or vendor and type) and, in file_name, the name
 * such a profile goes by in a profile directory ("architecture-gfx1151.json").
 * CLEMBED_ERR_NOT_FOUND when that device has no such class (no known
 * architecture), CLEMBED_ERR_INVALID_ARG for the device level. */
CLEMBED_API clembed_status clembed_profile_for_class(const clembed_profile *p, clembed_profile_level level,
                                                     clembed_profile **out, char *file_name, size_t cap);

/* The device a context takes when none is named: the CLEMBED_DEVICE variable
 * when set (see clembed_device_select()), else the first GPU, else the first
 * device.  Where that hardware is seen through several platforms (one GPU
 * under ROCm and rusticl, the CPU under PoCL and llvmpipe), the platform whose
 * profile measured it faster is taken; without two profiles to compare, ROCm
 * over rusticl over the others for a GPU, the first listed for a CPU.  `why`
 * (may be NULL) says how the choice was made. */
CLEMBED_API clembed_status clembed_device_default(size_t *index, char *why, size_t why_cap);

typedef enum clembed_profile_dir {
    CLEMBED_PROFILE_DIR_USER   = 0, /* $XDG_DATA_HOME/clembed/profiles, ~/.local/share/... */
    CLEMBED_PROFILE_DIR_SYSTEM = 1, /* $(localstatedir)/lib/clembed/profiles */
    CLEMBED_PROFILE_DIR_SHIPPED = 2 /* $(pkgdatadir)/profiles */
} clembed_profile_dir;

/* The directory of a lookup location; NULL when it cannot be known (no HOME).
 * The string is owned by the library and lives as long as the process. */
CLEMBED_API const char *clembed_profile_dir_path(clembed_profile_dir which);

/* Which profile a context on `device` would use, found as contexts find it:
 * `path` (a file or a directory; "off" = none; NULL = the CLEMBED_PROFILE
 * environment variable, then the user, system and shipped directories).
 * Logs nothing and leaves clembed_errmsg() as it was.  `path_out` (may be NULL) receives the file ("" when none),
 * `detail` (may be NULL) why it is stale, foreign or corrupt. */
CLEMBED_API clembed_profile_state clembed_device_profile_state(size_t device, const char *path,
                                                               char *path_out, size_t path_cap,
                                                               char *detail, size_t detail_cap);

/* What the probe measured; 0 where not measured. */
typedef struct clembed_probe_result {
    double read_bandwidth;    /* bytes/s, reading a large buffer */
    double copy_bandwidth;    /* bytes/s moved (read + write) copying a large buffer */
    double fp32_flops;        /* FMA throughput, FLOP/s (an FMA counts 2) */
    double fp16_flops;        /* the same in half precision; 0 without cl_khr_fp16 */
    double launch_s;          /* per kernel, back to back on an in-order queue */
    double roundtrip_s;       /* one kernel enqueued and waited for */
    double compile_s;         /* building a representative program, caches bypassed */
    int    event_timing;      /* 1: the queue's event timestamps are real; 0: they are not
                                 (Mesa rusticl 22), and the tuner times with the wall clock */
} clembed_probe_result;

/* Measures device `device` (clpeak style, medians of repeats); takes a few
 * seconds, a bit longer the first time kernels are compiled. */
CLEMBED_API clembed_status clembed_device_probe(size_t device, clembed_probe_result *out);

/* p's probe results; CLEMBED_ERR_NOT_FOUND when it has none. */
CLEMBED_API clembed_status clembed_profile_probe(const clembed_profile *p, clembed_probe_result *out);

/* One op (or GEMM) at one shape, as tuned.  Strings belong to the profile. */
typedef struct clembed_tune_result {
    const char *op;          /* op family, or "gemm" for CLBlast */
    const char *kernel;      /* kernel name, or "clblast_sgemm" */
    const char *shape;       /* "tokens=512 hidden=384 ...", "m=512 n=1536 k=384" */
    const char *params;      /* the tuned values, "WG=64 VEC=4"; "" = defaults */
    double default_s;        /* median time with the built-in defaults */
    double tuned_s;          /* median time with the tuned values */
    double roofline_s;       /* least time the bandwidth and FLOP/s allow; 0 = unknown */
    double max_err;          /* largest error of the tuned result, in tolerances */
    unsigned candidates;     /* parameter sets measured */
    unsigned rejected;       /* parameter sets that failed the reference check */
    unsigned outliers;       /* timings of the tuned set far above its median */
    int chosen;              /* 1 when this variant is the op's choice at this shape */
    double flops;            /* the work of one run: floating-point operations (an FMA counts 2) */
    double bytes;            /* and the bytes it moves at least; 0 = not recorded */
} clembed_tune_result;

CLEMBED_API size_t clembed_profile_result_count(const clembed_profile *p);
/* CLEMBED_ERR_NOT_FOUND past the end. */
CLEMBED_API clembed_status clembed_profile_result(const clembed_profile *p, size_t i,
                                                  clembed_tune_result *out);
/* The device batch token budget the profile recommends; 0 when none. */
CLEMBED_API uint32_t clembed_profile_batch_tokens(const clembed_profile *p);

typedef enum clembed_tune_event_kind {
    CLEMBED_TUNE_STAGE     = 0, /* a stage starts: message is "probe", "ops", "gemm" */
    CLEMBED_TUNE_CANDIDATE = 1, /* a parameter set was measured (seconds, outliers) */
    CLEMBED_TUNE_REJECTED  = 2, /* a parameter set failed its check (message says why) */
    CLEMBED_TUNE_RESULT    = 3, /* an op at a shape is done (best_s, default_s) */
    CLEMBED_TUNE_SKIPPED   = 4, /* an op at a shape was taken from the resumed run */
    CLEMBED_TUNE_NOTE      = 5  /* anything else worth a line (message) */
} clembed_tune_event_kind;

/* Strings live until the callback returns. */
typedef struct clembed_tune_event {
    clembed_tune_event_kind kind;
    const char *op, *kernel, *shape, *params; /* NULL when not about one */
    const char *message;
    double seconds;      /* CANDIDATE: its median time */
    double best_s;       /* the best time so far for this op and shape */
    double default_s;    /* the defaults' time for this op and shape */
    unsigned outliers;
    double done;         /* fraction of the planned work done, 0..1 */
    double elapsed;      /* seconds since clembed_tune() started, resumed time included */
    double budget;       /* the budget in seconds */
} clembed_tune_event;

/* Return nonzero to stop: clembed_tune() then returns CLEMBED_OK with what was
 * finished, as an incomplete profile that a later run can resume. */
typedef int (*clembed_tune_progress_fn)(const clembed_tune_event *ev, void *user);
/* Called after each finished op and shape with the profile so far, for the
 * caller to save (clembed-tune writes FILE.partial).  p lives until return. */
typedef void (*clembed_tune_checkpoint_fn)(const clembed_profile *p, void *user);

enum {
    CLEMBED_TUNE_PROBE = 1 << 0, /* measure bandwidth, FLOP/s, latency, compile cost */
    CLEMBED_TUNE_OPS   = 1 << 1, /* every registry kernel's variants and parameters */
    CLEMBED_TUNE_GEMM  = 1 << 2, /* CLBlast's GEMM parameters and direct/indirect threshold */
    CLEMBED_TUNE_PROVIDERS = 1 << 3, /* which GEMM provider (kernel, CLBlast, host BLAS) is fastest
                                      * at each of the model's GEMM shapes */
    CLEMBED_TUNE_ALL   = 15
};

typedef struct clembed_tune_params {
    size_t size;                    /* set by clembed_tune_params_init() */
    const clembed_model *model;     /* shapes of this model; NULL = standard buckets */
    double budget_s;                /* seconds for the whole run; 0 = 150 */
    unsigned stages;                /* CLEMBED_TUNE_* bits; 0 = all */
    const clembed_profile *start;   /* an earlier profile of this hardware (may be stale):
                                       its choices are tried first, its other entries kept */
    const clembed_profile *resume;  /* an interrupted run (matching the device): what it
                                       finished is kept, not measured again */
    uint64_t seed;                  /* inputs of the reference checks; 0 = fixed default */
    clembed_tune_progress_fn progress;
    void *progress_user;
    clembed_tune_checkpoint_fn checkpoint;
    void *checkpoint_user;
} clembed_tune_params;

CLEMBED_API void clembed_tune_params_init(clembed_tune_params *p);

/* Tunes device `device` within params->budget_s (one measurement may run
 * past it) and returns a new profile in *out.  Candidates whose output does
 * not match the reference are rejected and reported, never chosen.  Uses
 * its own OpenCL context; CLBlast parameter overrides it tried are reset
 * only when the profile is applied again, so run it in a process of its own
 * (as clembed-tune does) rather than beside contexts that embed. */
CLEMBED_API clembed_status clembed_tune(size_t device, const clembed_tune_params *params,
                                        clembed_profile **out);

#ifdef __cplusplus
}
#endif

#endif /* CLEMBED_H */
