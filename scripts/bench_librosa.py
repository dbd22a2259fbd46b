#!/usr/bin/env python3
"""Times librosa computing the thesis's offline feature set on one file, for comparison with
`latentvj bench features FILE` (see Docs/benchmarks.md). Single-threaded like our benchmark.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 NUMBA_NUM_THREADS=1 python3 scripts/bench_librosa.py out/demo.wav

The steps mirror OfflineExtractor: HPSS, percussive onsets, RMS, CENS chroma of the harmonic part
(librosa's own CQT-based chroma_cens), tonnetz, MFCC, spectral contrast and flatness, PLP and the
Laplacian segmentation recipe from librosa's documentation. The first run is a warm-up (numba
compiles on first use) and is not counted.
"""
import os
import sys
import time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np
import librosa
import scipy


def offline_features(y, sr, fps=24):
    hop = int(round(sr / fps))
    S = librosa.stft(y, n_fft=2048, hop_length=hop, center=True, pad_mode="reflect")
    H, P = librosa.decompose.hpss(S, kernel_size=31, margin=8.0)
    y_harm = librosa.istft(H, hop_length=hop, length=len(y))
    y_perc = librosa.istft(P, hop_length=hop, length=len(y))
    onsets = librosa.onset.onset_strength(y=y_perc, sr=sr, hop_length=hop)
    rms = librosa.feature.rms(y=y, frame_length=2048, hop_length=hop)[0]
    drop = scipy.ndimage.gaussian_filter1d(rms, 10)
    chroma = librosa.feature.chroma_cens(y=y_harm, sr=sr, hop_length=hop)
    tonnetz = librosa.feature.tonnetz(chroma=chroma)
    mfcc = librosa.feature.mfcc(y=y, sr=sr, hop_length=hop, n_mfcc=20)
    contrast = librosa.feature.spectral_contrast(S=np.abs(S), sr=sr)
    flatness = librosa.feature.spectral_flatness(S=np.abs(S))
    pulse = librosa.beat.plp(onset_envelope=onsets, sr=sr, hop_length=hop, win_length=1024, tempo_min=60, tempo_max=180)
    # Laplacian segmentation (librosa documentation recipe) on beat-synchronous CQT.
    C = librosa.amplitude_to_db(np.abs(librosa.cqt(y=y, sr=sr, hop_length=hop)), ref=np.max)
    _, beats = librosa.beat.beat_track(onset_envelope=onsets, sr=sr, hop_length=hop, trim=False)
    Csync = librosa.util.sync(C, beats, aggregate=np.median)
    R = librosa.segment.recurrence_matrix(Csync, width=3, mode="affinity", sym=True)
    Rf = librosa.segment.timelag_filter(scipy.ndimage.median_filter)(R, size=(1, 7))
    Msync = librosa.util.sync(mfcc, beats)
    path_distance = np.sum(np.diff(Msync, axis=1) ** 2, axis=0)
    sigma = np.median(path_distance)
    path_sim = np.exp(-path_distance / sigma)
    R_path = np.diag(path_sim, k=1) + np.diag(path_sim, k=-1)
    deg_path, deg_rec = np.sum(R_path, axis=1), np.sum(Rf, axis=1)
    mu = deg_path.dot(deg_path + deg_rec) / np.sum((deg_path + deg_rec) ** 2)
    A = mu * Rf + (1 - mu) * R_path
    L = scipy.sparse.csgraph.laplacian(A, normed=True)
    _, evecs = scipy.linalg.eigh(L)
    return onsets, rms, drop, chroma, tonnetz, mfcc, contrast, flatness, pulse, evecs


def main():
    path = sys.argv[1]
    y, sr = librosa.load(path, sr=None, mono=True)
    offline_features(y[: sr * 5], sr)  # warm-up: numba compilation
    runs = []
    for _ in range(int(sys.argv[2]) if len(sys.argv) > 2 else 3):
        t0 = time.perf_counter()
        offline_features(y, sr)
        runs.append(time.perf_counter() - t0)
    seconds = sorted(runs)[len(runs) // 2]
    duration = len(y) / sr
    print(f"librosa {librosa.__version__}: {duration:.1f} s of audio in {seconds:.3f} s "
          f"-> {duration / seconds:.1f} x real time (median of {len(runs)}, 1 thread)")


if __name__ == "__main__":
    main()
