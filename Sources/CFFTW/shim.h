// FFTW3, single precision.
#pragma once
#include <fftw3.h>

// fftwf_version is an incomplete array (`const char []`), which Swift cannot import.
static inline const char *lvj_fftwf_version(void) { return fftwf_version; }
