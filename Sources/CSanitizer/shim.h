// ThreadSanitizer's annotations, reached only when its runtime is linked in (`make tsan`): weak
// references, so a normal build calls nothing and needs no library.
#pragma once

void __tsan_acquire(void *address) __attribute__((weak));
void __tsan_release(void *address) __attribute__((weak));

static inline void lvj_tsan_acquire(void *address) { if (__tsan_acquire) __tsan_acquire(address); }
static inline void lvj_tsan_release(void *address) { if (__tsan_release) __tsan_release(address); }
