// Re-exports OpenBLAS's CBLAS interface. No logic lives here.
#ifndef CELLVI_COPENBLAS_SHIM_H
#define CELLVI_COPENBLAS_SHIM_H
#include <cblas.h>
#endif
