#ifndef CELLVI_INTRINSICS_H
#define CELLVI_INTRINSICS_H
// Store instructions Swift has no spelling for, used only by CellviKernels.

/// 16 floats (one 64-byte cache line); Swift sees SIMD16<Float>.
typedef float cellvi_float16 __attribute__((ext_vector_type(16)));

/// Stores v at p (64-byte aligned) bypassing the caches (a non-temporal, full-line write): for data
/// another core reads next, it saves taking the line over from that core's cache first.
static inline __attribute__((always_inline)) void cellvi_stream_store16(float *p, cellvi_float16 v) {
    __builtin_nontemporal_store(v, (cellvi_float16 *)p);
}

/// Asks for the cache line holding p (a hint: no fault, no effect on results).
static inline __attribute__((always_inline)) void cellvi_prefetch(const void *p) {
    __builtin_prefetch(p, 0, 3);
}

/// Orders earlier non-temporal stores before later stores (sfence on x86-64).
static inline __attribute__((always_inline)) void cellvi_store_fence(void) {
#if defined(__x86_64__)
    __builtin_ia32_sfence();
#else
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}
#endif
