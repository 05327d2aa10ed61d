// Re-exports the HDF5 macros Swift cannot import. No logic lives here.
#ifndef CELLVI_CHDF5_SHIM_H
#define CELLVI_CHDF5_SHIM_H
#include <hdf5.h>

static inline hid_t cellvi_H5P_DEFAULT(void) { return H5P_DEFAULT; }
static inline hid_t cellvi_H5S_ALL(void) { return H5S_ALL; }
static inline hid_t cellvi_H5E_DEFAULT(void) { return H5E_DEFAULT; }
static inline unsigned cellvi_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned cellvi_H5F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }
static inline unsigned cellvi_H5F_ACC_EXCL(void) { return H5F_ACC_EXCL; }
static inline hid_t cellvi_H5P_DATASET_CREATE(void) { return H5P_DATASET_CREATE; }
static inline hid_t cellvi_H5P_LINK_CREATE(void) { return H5P_LINK_CREATE; }
static inline hid_t cellvi_H5P_FILE_ACCESS(void) { return H5P_FILE_ACCESS; }
static inline hid_t cellvi_H5T_NATIVE_INT8(void) { return H5T_NATIVE_INT8; }
static inline hid_t cellvi_H5T_NATIVE_UINT8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t cellvi_H5T_NATIVE_INT16(void) { return H5T_NATIVE_INT16; }
static inline hid_t cellvi_H5T_NATIVE_INT32(void) { return H5T_NATIVE_INT32; }
static inline hid_t cellvi_H5T_NATIVE_UINT32(void) { return H5T_NATIVE_UINT32; }
static inline hid_t cellvi_H5T_NATIVE_INT64(void) { return H5T_NATIVE_INT64; }
static inline hid_t cellvi_H5T_NATIVE_UINT64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t cellvi_H5T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t cellvi_H5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t cellvi_H5T_C_S1(void) { return H5T_C_S1; }
static inline hid_t cellvi_H5T_STD_REF_OBJ(void) { return H5T_STD_REF_OBJ; }
static inline size_t cellvi_H5T_VARIABLE(void) { return H5T_VARIABLE; }
static inline H5Z_filter_t cellvi_H5Z_FILTER_DEFLATE(void) { return H5Z_FILTER_DEFLATE; }
/// Dereferences an object reference (anndata 0.7 categories); the macro names differ across 1.10 / 1.12.
static inline hid_t cellvi_dereference_object(hid_t loc, const void *reference) {
    return H5Rdereference2(loc, H5P_DEFAULT, H5R_OBJECT, reference);
}
/// Frees the strings HDF5 allocated for a variable-length read (H5Dvlen_reclaim / H5Treclaim).
static inline herr_t cellvi_reclaim_vlen(hid_t type, hid_t space, void *buffer) {
#if H5_VERSION_GE(1, 12, 0)
    return H5Treclaim(type, space, H5P_DEFAULT, buffer);
#else
    return H5Dvlen_reclaim(type, space, H5P_DEFAULT, buffer);
#endif
}
#endif
