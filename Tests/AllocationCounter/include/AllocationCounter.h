// Counts heap allocations made by the current thread while counting is switched on.
// Linked into the test binary, its malloc/calloc/realloc/free interpose glibc's for the whole process
// and forward to glibc's own entry points, so behaviour is unchanged; only the counters are added.
#pragma once
#include <stddef.h>

void lvj_count_allocations_begin(void);
/// Stops counting and returns how many allocations (malloc, calloc, realloc, posix_memalign,
/// aligned_alloc) the calling thread made since `begin`.
long lvj_count_allocations_end(void);
