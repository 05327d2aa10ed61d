// Header-only module; this file gives SwiftPM a C target to build.
#include "cellvi_intrinsics.h"
