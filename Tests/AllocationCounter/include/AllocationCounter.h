// Counts heap allocations made by the current thread while counting is switched on.
// Linked into the test binary, its malloc/calloc/realloc/free interpose glibc's for the whole process
// and forward to glibc's own entry points, so behaviour is unchanged; only the counters are added.
#pragma once
#include <stddef.h>

void lvj_count_allocations_begin(void);
/// Stops counting and returns how many allocations (malloc, calloc, realloc, posix_memalign,
/// aligned_alloc) the calling thread made since `begin`.
long lvj_count_allocations_end(void);

// Per-thread counts readable from another thread.
//
// The begin/end pair above only counts the calling thread, so it cannot watch a thread the test does not
// run, such as the JACK process thread (which must not call anything extra to switch counting on). The
// functions below count every thread into a fixed table keyed by pthread_t; a test switches counting on,
// lets the other thread run, switches it off and reads that thread's row.
//
// Lock calls are the pthread and semaphore entry points a library reaches through the PLT:
// pthread_mutex_lock/trylock/timedlock, pthread_rwlock_rdlock/wrlock/tryrdlock/trywrlock,
// pthread_spin_lock, pthread_cond_wait/timedwait, sem_wait/trywait/timedwait. Locks taken inside glibc
// (malloc's arenas) and futex-based locks that never call these functions (the Swift runtime's own mutex
// on Linux, uncontended) are not seen. stdio's FILE lock is internal to glibc, so logging is counted
// separately, as output calls: write, writev, fwrite, fputs, puts, fputc, putc, putchar, printf,
// fprintf, vfprintf, fflush (and flockfile, which Swift's print takes, counts as a lock).
typedef struct {
    long allocations;   // malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign
    long frees;         // free
    long locks;         // the lock and wait calls listed above
    long outputs;       // the output calls listed above: logging, or any blocking write
} lvj_thread_counts;

/// Zeroes the table and starts counting on every thread.
void lvj_count_threads_begin(void);
/// Stops counting on every thread; the table keeps its values until the next begin.
void lvj_count_threads_end(void);
/// The counts of one thread (a pthread_t as an integer) since the last begin; zeroes if it made no call.
lvj_thread_counts lvj_thread_counts_of(unsigned long thread);
/// pthread_self() as an integer, so Swift tests need not import Glibc's pthread_t spelling.
unsigned long lvj_current_thread(void);
/// Threads that found the table full (their calls were not counted); a test should see zero.
long lvj_count_threads_untracked(void);

// 0 in a ThreadSanitizer build, where the interposer is left out and nothing is counted.
int lvj_counting_available(void);
