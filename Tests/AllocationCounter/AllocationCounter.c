#define _GNU_SOURCE
#include "AllocationCounter.h"
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

// ---- The calling thread only (begin/end) -----------------------------------------------------------

// Thread-local, so allocations by other threads (XCTest, Dispatch) do not count.
static __thread int counting = 0;
static __thread long count = 0;

void lvj_count_allocations_begin(void) { count = 0; counting = 1; }
long lvj_count_allocations_end(void) { counting = 0; return count; }

// ---- Every thread, into a fixed table ---------------------------------------------------------------

// Open addressing keyed by pthread_t; a row is claimed with one compare-and-swap, so counting never
// allocates or locks (it runs inside malloc and pthread_mutex_lock themselves).
#define LVJ_THREAD_ROWS 1024
typedef struct {
    _Atomic unsigned long thread;
    _Atomic long allocations, frees, locks, outputs;
} row_t;
static row_t rows[LVJ_THREAD_ROWS];
static _Atomic int countingAllThreads = 0;
static _Atomic long untracked = 0;

static row_t *current_row(void) {
    unsigned long self = (unsigned long)pthread_self();
    unsigned long start = (self >> 4) * 2654435761ul;
    for (unsigned long i = 0; i < LVJ_THREAD_ROWS; i++) {
        row_t *r = &rows[(start + i) % LVJ_THREAD_ROWS];
        unsigned long owner = atomic_load_explicit(&r->thread, memory_order_acquire);
        if (owner == self) return r;
        if (owner == 0) {
            unsigned long expected = 0;
            if (atomic_compare_exchange_strong(&r->thread, &expected, self) || expected == self) return r;
        }
    }
    atomic_fetch_add(&untracked, 1);
    return NULL;
}

enum kind { ALLOCATION, FREE, LOCK, OUTPUT };
static inline void note(enum kind k) {
    if (k == ALLOCATION && counting) count++;
    if (!atomic_load_explicit(&countingAllThreads, memory_order_relaxed)) return;
    row_t *r = current_row();
    if (!r) return;
    _Atomic long *field = k == ALLOCATION ? &r->allocations : k == FREE ? &r->frees : k == LOCK ? &r->locks : &r->outputs;
    atomic_fetch_add_explicit(field, 1, memory_order_relaxed);
}

void lvj_count_threads_begin(void) {
    atomic_store(&countingAllThreads, 0);
    for (int i = 0; i < LVJ_THREAD_ROWS; i++) {
        atomic_store(&rows[i].allocations, 0);
        atomic_store(&rows[i].frees, 0);
        atomic_store(&rows[i].locks, 0);
        atomic_store(&rows[i].outputs, 0);
    }
    atomic_store(&untracked, 0);
    atomic_store(&countingAllThreads, 1);
}

void lvj_count_threads_end(void) { atomic_store(&countingAllThreads, 0); }

lvj_thread_counts lvj_thread_counts_of(unsigned long thread) {
    lvj_thread_counts c = {0, 0, 0, 0};
    for (int i = 0; i < LVJ_THREAD_ROWS; i++) {
        if (atomic_load(&rows[i].thread) != thread) continue;
        c.allocations = atomic_load(&rows[i].allocations);
        c.frees = atomic_load(&rows[i].frees);
        c.locks = atomic_load(&rows[i].locks);
        c.outputs = atomic_load(&rows[i].outputs);
        break;
    }
    return c;
}

unsigned long lvj_current_thread(void) { return (unsigned long)pthread_self(); }
long lvj_count_threads_untracked(void) { return atomic_load(&untracked); }

// ThreadSanitizer intercepts the same allocation, lock and output calls, and an instrumented interposer
// in front of it crashes its start-up: under TSan (`make tsan`) the entry points below are left out,
// nothing is counted, and `lvj_counting_available()` says so. The real-time contract is tested by the
// normal suite; the TSan run checks the locking.
#if defined(__has_feature)
#  if __has_feature(thread_sanitizer)
#    define LVJ_NO_INTERPOSER 1
#  endif
#endif

#ifdef LVJ_NO_INTERPOSER
int lvj_counting_available(void) { return 0; }
#else
int lvj_counting_available(void) { return 1; }

// ---- Allocation entry points ------------------------------------------------------------------------

void *malloc(size_t n) { note(ALLOCATION); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { note(ALLOCATION); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { note(ALLOCATION); return __libc_realloc(p, n); }
void free(void *p) { if (p) note(FREE); __libc_free(p); }
void *aligned_alloc(size_t alignment, size_t n) { note(ALLOCATION); return __libc_memalign(alignment, n); }
void *memalign(size_t alignment, size_t n) { note(ALLOCATION); return __libc_memalign(alignment, n); }
int posix_memalign(void **out, size_t alignment, size_t n) {
    note(ALLOCATION);
    void *p = __libc_memalign(alignment, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

// ---- Lock and wait entry points ---------------------------------------------------------------------

// The real entry points, resolved once through dlsym/dlvsym: they may malloc (counted, harmless) but
// take only glibc-internal locks, so resolving cannot recurse into these wrappers. Libraries' constructors
// may lock before ours resolves everything, hence the lazy resolution on first use as well.
#define REAL(ret, name, version, params) \
    static ret (*real_##name) params; \
    static ret (*resolve_##name(void)) params { \
        if (!real_##name) real_##name = version ? dlvsym(RTLD_NEXT, #name, version) : dlsym(RTLD_NEXT, #name); \
        return real_##name; \
    }

REAL(int, pthread_mutex_lock, NULL, (pthread_mutex_t *))
REAL(int, pthread_mutex_trylock, NULL, (pthread_mutex_t *))
REAL(int, pthread_rwlock_rdlock, NULL, (pthread_rwlock_t *))
REAL(int, pthread_rwlock_wrlock, NULL, (pthread_rwlock_t *))
REAL(int, pthread_mutex_timedlock, NULL, (pthread_mutex_t *, const struct timespec *))
REAL(int, pthread_mutex_clocklock, NULL, (pthread_mutex_t *, clockid_t, const struct timespec *))
REAL(int, pthread_rwlock_tryrdlock, NULL, (pthread_rwlock_t *))
REAL(int, pthread_rwlock_trywrlock, NULL, (pthread_rwlock_t *))
REAL(int, pthread_spin_lock, NULL, (pthread_spinlock_t *))
// The condition variable ABI every current library links against is GLIBC_2.3.2, not the default lookup.
REAL(int, pthread_cond_wait, "GLIBC_2.3.2", (pthread_cond_t *, pthread_mutex_t *))
REAL(int, pthread_cond_timedwait, "GLIBC_2.3.2", (pthread_cond_t *, pthread_mutex_t *, const struct timespec *))
REAL(int, pthread_cond_clockwait, NULL, (pthread_cond_t *, pthread_mutex_t *, clockid_t, const struct timespec *))
REAL(int, sem_wait, NULL, (sem_t *))
REAL(int, sem_trywait, NULL, (sem_t *))
REAL(int, sem_timedwait, NULL, (sem_t *, const struct timespec *))
REAL(void, flockfile, NULL, (FILE *))
REAL(ssize_t, write, NULL, (int, const void *, size_t))
REAL(ssize_t, writev, NULL, (int, const struct iovec *, int))
REAL(size_t, fwrite, NULL, (const void *, size_t, size_t, FILE *))
REAL(int, fputs, NULL, (const char *, FILE *))
REAL(int, puts, NULL, (const char *))
REAL(int, fputc, NULL, (int, FILE *))
REAL(int, putc, NULL, (int, FILE *))
REAL(int, putchar, NULL, (int))
REAL(int, vfprintf, NULL, (FILE *, const char *, va_list))
REAL(int, fflush, NULL, (FILE *))

__attribute__((constructor)) static void resolve_all(void) {
    resolve_pthread_mutex_lock(); resolve_pthread_mutex_trylock();
    resolve_pthread_rwlock_rdlock(); resolve_pthread_rwlock_wrlock();
    resolve_pthread_mutex_timedlock(); resolve_pthread_mutex_clocklock();
    resolve_pthread_rwlock_tryrdlock(); resolve_pthread_rwlock_trywrlock(); resolve_pthread_spin_lock();
    resolve_pthread_cond_wait(); resolve_pthread_cond_timedwait(); resolve_pthread_cond_clockwait();
    resolve_sem_wait(); resolve_sem_trywait(); resolve_sem_timedwait(); resolve_flockfile();
    resolve_write(); resolve_writev(); resolve_fwrite(); resolve_fputs(); resolve_puts();
    resolve_fputc(); resolve_putc(); resolve_putchar(); resolve_vfprintf(); resolve_fflush();
}

int pthread_mutex_lock(pthread_mutex_t *m) { note(LOCK); return resolve_pthread_mutex_lock()(m); }
int pthread_mutex_trylock(pthread_mutex_t *m) { note(LOCK); return resolve_pthread_mutex_trylock()(m); }
int pthread_rwlock_rdlock(pthread_rwlock_t *l) { note(LOCK); return resolve_pthread_rwlock_rdlock()(l); }
int pthread_rwlock_wrlock(pthread_rwlock_t *l) { note(LOCK); return resolve_pthread_rwlock_wrlock()(l); }
int pthread_mutex_timedlock(pthread_mutex_t *restrict m, const struct timespec *restrict t) {
    note(LOCK); return resolve_pthread_mutex_timedlock()(m, t);
}
int pthread_mutex_clocklock(pthread_mutex_t *restrict m, clockid_t c, const struct timespec *restrict t) {
    note(LOCK); return resolve_pthread_mutex_clocklock()(m, c, t);
}
int pthread_rwlock_tryrdlock(pthread_rwlock_t *l) { note(LOCK); return resolve_pthread_rwlock_tryrdlock()(l); }
int pthread_rwlock_trywrlock(pthread_rwlock_t *l) { note(LOCK); return resolve_pthread_rwlock_trywrlock()(l); }
int pthread_spin_lock(pthread_spinlock_t *l) { note(LOCK); return resolve_pthread_spin_lock()(l); }
int pthread_cond_wait(pthread_cond_t *restrict c, pthread_mutex_t *restrict m) {
    note(LOCK); return resolve_pthread_cond_wait()(c, m);
}
int pthread_cond_timedwait(pthread_cond_t *restrict c, pthread_mutex_t *restrict m, const struct timespec *restrict t) {
    note(LOCK); return resolve_pthread_cond_timedwait()(c, m, t);
}
int pthread_cond_clockwait(pthread_cond_t *restrict c, pthread_mutex_t *restrict m, clockid_t k, const struct timespec *restrict t) {
    note(LOCK); return resolve_pthread_cond_clockwait()(c, m, k, t);
}
int sem_wait(sem_t *s) { note(LOCK); return resolve_sem_wait()(s); }
int sem_trywait(sem_t *s) { note(LOCK); return resolve_sem_trywait()(s); }
int sem_timedwait(sem_t *restrict s, const struct timespec *restrict t) { note(LOCK); return resolve_sem_timedwait()(s, t); }
void flockfile(FILE *f) { note(LOCK); resolve_flockfile()(f); }

// ---- Output entry points (logging) ------------------------------------------------------------------

ssize_t write(int fd, const void *b, size_t n) { note(OUTPUT); return resolve_write()(fd, b, n); }
ssize_t writev(int fd, const struct iovec *v, int n) { note(OUTPUT); return resolve_writev()(fd, v, n); }
size_t fwrite(const void *restrict b, size_t s, size_t n, FILE *restrict f) { note(OUTPUT); return resolve_fwrite()(b, s, n, f); }
int fputs(const char *restrict s, FILE *restrict f) { note(OUTPUT); return resolve_fputs()(s, f); }
int puts(const char *s) { note(OUTPUT); return resolve_puts()(s); }
int fputc(int c, FILE *f) { note(OUTPUT); return resolve_fputc()(c, f); }
int putc(int c, FILE *f) { note(OUTPUT); return resolve_putc()(c, f); }
int putchar(int c) { note(OUTPUT); return resolve_putchar()(c); }
int fflush(FILE *f) { note(OUTPUT); return resolve_fflush()(f); }
int vfprintf(FILE *restrict f, const char *restrict format, va_list a) { note(OUTPUT); return resolve_vfprintf()(f, format, a); }
int fprintf(FILE *restrict f, const char *restrict format, ...) {
    va_list a; va_start(a, format);
    int n = vfprintf(f, format, a);
    va_end(a);
    return n;
}
int printf(const char *restrict format, ...) {
    va_list a; va_start(a, format);
    int n = vfprintf(stdout, format, a);
    va_end(a);
    return n;
}
#endif
