// Exposes zlib's gzip file API (gzopen / gzread / gzerror) to Swift. No logic lives here.
#ifndef CELLVI_CZLIB_SHIM_H
#define CELLVI_CZLIB_SHIM_H
#include <zlib.h>
#endif
