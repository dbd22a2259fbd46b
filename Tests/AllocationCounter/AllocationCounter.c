#define _GNU_SOURCE
#include "AllocationCounter.h"
#include <errno.h>
#include <stdlib.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

// Thread-local, so allocations by other threads (XCTest, Dispatch) do not count.
static __thread int counting = 0;
static __thread long count = 0;

void lvj_count_allocations_begin(void) { count = 0; counting = 1; }
long lvj_count_allocations_end(void) { counting = 0; return count; }

void *malloc(size_t n) { if (counting) count++; return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { if (counting) count++; return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { if (counting) count++; return __libc_realloc(p, n); }
void free(void *p) { __libc_free(p); }
void *aligned_alloc(size_t alignment, size_t n) { if (counting) count++; return __libc_memalign(alignment, n); }
void *memalign(size_t alignment, size_t n) { if (counting) count++; return __libc_memalign(alignment, n); }
int posix_memalign(void **out, size_t alignment, size_t n) {
    if (counting) count++;
    void *p = __libc_memalign(alignment, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}
