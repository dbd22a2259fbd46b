// glibc's allocator tuning (malloc.h is not part of Swift's Glibc module).
#pragma once
#include <malloc.h>

// mallopt's parameter numbers as functions: one call each, so Swift needs no macro.
static inline int lvj_set_mmap_threshold(int bytes) { return mallopt(M_MMAP_THRESHOLD, bytes); }
static inline int lvj_set_trim_threshold(int bytes) { return mallopt(M_TRIM_THRESHOLD, bytes); }
