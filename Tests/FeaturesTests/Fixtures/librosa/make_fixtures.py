#!/usr/bin/env python3
"""Generate librosa reference fixtures for the LatentVJ Swift feature tests.

What it does
    Synthesises four short mono test signals (tones, drums, clicks, noise) at
    sr = 22050 with numpy (fixed seeds), quantises each to 16-bit PCM, writes
    NAME.wav, and computes librosa features from exactly the quantised samples
    (y = int16 / 32768.0 as float32). Results go to NAME.json (frames-major,
    7 significant digits). See README.md in this folder for the field list,
    the exact librosa calls and the librosa behaviour the Swift code mirrors.

How to rerun
    pip install librosa          # fixtures were made with librosa 0.11.0
    python3 make_fixtures.py     # from any directory; writes next to this file

The Swift tests only read the .wav/.json files; Python is not needed for them.
"""

import json
import math
import os
import sys
from unittest import mock

import numpy as np
import scipy
import scipy.io.wavfile
import scipy.ndimage
import librosa
import librosa.feature.spectral

OUT_DIR = os.path.dirname(os.path.abspath(__file__))

SR = 22050
N_FFT = 2048
HOP = 512
N_MELS = 128
N_MFCC = 20
HPSS_KERNEL = 31
HPSS_MARGIN = 8.0
HPSS_POWER = 2.0
PLP_WIN = 384
PLP_TMIN = 60
PLP_TMAX = 180


# ----------------------------------------------------------------------------
# Signals (float64 in [-1, 1], before quantisation)
# ----------------------------------------------------------------------------

def _t(duration):
    return np.arange(int(round(duration * SR))) / SR


def make_tones():
    t = _t(2.0)
    x = sum(0.2 * np.sin(2 * np.pi * f * t) for f in (440.0, 554.37, 659.26))
    # 10 ms linear fade-in and fade-out
    n_fade = int(round(0.010 * SR))
    ramp = np.linspace(0.0, 1.0, n_fade)
    x[:n_fade] *= ramp
    x[-n_fade:] *= ramp[::-1]
    rng = np.random.default_rng(1)
    x = x + 0.001 * rng.standard_normal(len(t))
    return x


def make_drums():
    t = _t(3.0)
    n = len(t)
    x = np.zeros(n)
    # held C major triad underneath
    for f in (261.6256, 329.6276, 391.9954):  # C4, E4, G4
        x += 0.1 * np.sin(2 * np.pi * f * t)
    # kick: sine sweeping 150 -> 50 Hz exponentially over 0.12 s (then held
    # at 50 Hz), amplitude envelope 0.8 * exp(-t / 0.05), 0.4 s long
    kl = int(round(0.4 * SR))
    tk = np.arange(kl) / SR
    f0, f1, T = 150.0, 50.0, 0.12
    r = f1 / f0
    phase = np.where(
        tk <= T,
        f0 * T / np.log(r) * (r ** (tk / T) - 1.0),
        f0 * T / np.log(r) * (r - 1.0) + f1 * (tk - T),
    )
    kick = 0.8 * np.exp(-tk / 0.05) * np.sin(2 * np.pi * phase)
    for k in range(6):  # 0.0, 0.5, ..., 2.5
        s = int(round(k * 0.5 * SR))
        e = min(n, s + kl)
        x[s:e] += kick[: e - s]
    # hi-hat: white noise (seed 2), high-passed by first difference,
    # normalised to peak 1, envelope 0.3 * exp(-t / 0.01), 0.1 s long
    rng = np.random.default_rng(2)
    hl = int(round(0.1 * SR))
    th = np.arange(hl) / SR
    for k in range(6):  # 0.25, 0.75, ..., 2.75
        noise = rng.standard_normal(hl + 1)
        hp = np.diff(noise)
        hp /= np.max(np.abs(hp))
        hat = 0.3 * np.exp(-th / 0.01) * hp
        s = int(round((0.25 + 0.5 * k) * SR))
        e = min(n, s + hl)
        x[s:e] += hat[: e - s]
    return x


def make_clicks():
    """120 BPM click train; returns (signal, click start sample indices)."""
    t = _t(10.0)
    n = len(t)
    x = np.zeros(n)
    cl = int(round(0.005 * SR))  # 110 samples
    tc = np.arange(cl) / SR
    click = 0.9 * np.sin(2 * np.pi * 1000.0 * tc) * (1.0 - np.arange(cl) / cl)
    starts = []
    k = 0
    while True:
        s = int(round((0.1 + 0.5 * k) * SR))
        if s + cl > n:
            break
        x[s : s + cl] += click
        starts.append(s)
        k += 1
    return x, np.array(starts)


def make_noise():
    rng = np.random.default_rng(3)
    return 0.1 * rng.standard_normal(int(round(1.0 * SR)))


def quantise(x):
    """float -> int16 (round, clip) and the float32 signal librosa sees."""
    q = np.clip(np.round(x * 32768.0), -32768, 32767).astype(np.int16)
    clipped = int(np.sum(np.abs(x * 32768.0) > 32767.5))
    y = (q.astype(np.float64) / 32768.0).astype(np.float32)
    return q, y, clipped


# ----------------------------------------------------------------------------
# Features
# ----------------------------------------------------------------------------

def stft_mag(y):
    return np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP, window="hann",
                               center=True, pad_mode="reflect"))


def mel_db_of_power(P):
    M = librosa.feature.melspectrogram(S=P, sr=SR, n_mels=N_MELS, fmax=11025,
                                       htk=False, norm="slaney")
    return librosa.power_to_db(M, ref=1.0, amin=1e-10, top_db=80.0)


def chroma_raw(P):
    return librosa.feature.chroma_stft(S=P, sr=SR, n_fft=N_FFT, tuning=0.0,
                                       norm=None)


def cens_from_chroma(chroma, win_len_smooth=41):
    """Transcription of the post-processing in librosa.feature.chroma_cens."""
    chroma = librosa.util.normalize(chroma, norm=1, axis=-2)
    QUANT_STEPS = [0.4, 0.2, 0.1, 0.05]
    QUANT_WEIGHTS = [0.25, 0.25, 0.25, 0.25]
    chroma_quant = np.zeros_like(chroma)
    for step, weight in zip(QUANT_STEPS, QUANT_WEIGHTS):
        chroma_quant += (chroma > step) * weight
    win = librosa.filters.get_window("hann", win_len_smooth + 2, fftbins=False)
    win /= np.sum(win)
    win = librosa.util.expand_to(win, ndim=chroma_quant.ndim, axes=-1)
    cens = scipy.ndimage.convolve(chroma_quant, win, mode="constant")
    return librosa.util.normalize(cens, norm=2, axis=-2)


def check_cens_against_librosa(chroma, cens):
    """Run librosa's own chroma_cens with chroma_cqt swapped for our chroma."""
    with mock.patch.object(librosa.feature.spectral, "chroma_cqt",
                           lambda **kw: chroma.copy()):
        ref = librosa.feature.chroma_cens(y=np.zeros(4096, dtype=np.float32),
                                          sr=SR, win_len_smooth=41)
    assert ref.shape == cens.shape
    assert np.array_equal(ref, cens), np.max(np.abs(ref - cens))


def onset_env(mel_db):
    return librosa.onset.onset_strength(S=mel_db, lag=1, max_size=1,
                                        center=False, aggregate=np.mean,
                                        detrend=False)


def general_features(y):
    S = stft_mag(y)
    P = S ** 2
    mel_db = mel_db_of_power(P)
    mfcc = librosa.feature.mfcc(S=mel_db, n_mfcc=N_MFCC, dct_type=2,
                                norm="ortho")
    rms = librosa.feature.rms(y=y, frame_length=N_FFT, hop_length=HOP,
                              center=True, pad_mode="reflect")[0]
    flat = librosa.feature.spectral_flatness(S=S, power=2.0, amin=1e-10)[0]
    contrast = librosa.feature.spectral_contrast(S=S, sr=SR, n_fft=N_FFT,
                                                 fmin=200.0, n_bands=6,
                                                 quantile=0.02, linear=False)
    chroma = chroma_raw(P)
    cens = cens_from_chroma(chroma)
    check_cens_against_librosa(chroma, cens)
    tonnetz = librosa.feature.tonnetz(chroma=cens)
    onset = onset_env(mel_db)
    H, Pm = librosa.decompose.hpss(S, kernel_size=HPSS_KERNEL,
                                   power=HPSS_POWER, margin=HPSS_MARGIN)
    frames = S.shape[-1]
    out = {
        "frames": frames,
        "rms": rms,
        "mel_db": mel_db.T,
        "mfcc": mfcc.T,
        "flatness": flat,
        "contrast": contrast.T,
        "chroma_stft": chroma.T,
        "cens": cens.T,
        "tonnetz": tonnetz.T,
        "onset": onset,
        "hpss_kernel": HPSS_KERNEL,
        "hpss_margin": HPSS_MARGIN,
        "hpss_power": HPSS_POWER,
        "mel_db_percussive": mel_db_of_power(Pm ** 2).T,
        "mel_db_harmonic": mel_db_of_power(H ** 2).T,
        "chroma_harmonic": chroma_raw(H ** 2).T,
    }
    for k, v in out.items():
        if isinstance(v, np.ndarray):
            assert np.all(np.isfinite(v)), k
            assert v.shape[0] == frames, (k, v.shape)
    return out


def plp_unit_magnitude(onset, ftg, bpm, frames):
    ftg = ftg.copy()
    ftg[(bpm < PLP_TMIN) | (bpm > PLP_TMAX), :] = 0
    ftmag = np.log1p(1e6 * np.abs(ftg))
    ftg[ftmag < ftmag.max(axis=0, keepdims=True)] = 0
    ftg /= librosa.util.tiny(ftg) ** 0.5 + np.abs(ftg).max(axis=0, keepdims=True)
    pulse = librosa.istft(ftg, hop_length=1, n_fft=PLP_WIN, length=frames)
    pulse = np.clip(pulse, 0, None)
    return librosa.util.normalize(pulse)


def clicks_features(y, starts):
    S = stft_mag(y)
    mel_db = mel_db_of_power(S ** 2)
    onset = onset_env(mel_db)
    pulse = librosa.beat.plp(onset_envelope=onset, sr=SR, hop_length=HOP,
                             win_length=PLP_WIN, tempo_min=PLP_TMIN,
                             tempo_max=PLP_TMAX, prior=None)
    ftg = librosa.feature.fourier_tempogram(onset_envelope=onset, sr=SR,
                                            hop_length=HOP, win_length=PLP_WIN)
    bpm = librosa.fourier_tempo_frequencies(sr=SR, hop_length=HOP,
                                            win_length=PLP_WIN)
    band = (bpm >= PLP_TMIN) & (bpm <= PLP_TMAX)
    band_idx = np.flatnonzero(band)
    peak_bpm = bpm[band_idx[np.argmax(np.abs(ftg[band_idx, :]), axis=0)]]
    frames = S.shape[-1]
    assert onset.shape == (frames,) and pulse.shape == (frames,)
    pulse_unit = plp_unit_magnitude(onset, ftg, bpm, frames)
    return {
        "frames": frames,
        "onset": onset,
        "plp_win_length": PLP_WIN,
        "plp_tempo_min": PLP_TMIN,
        "plp_tempo_max": PLP_TMAX,
        "plp": pulse,
        # The PLP the spec asks for: every column's peak scaled to unit magnitude. librosa's own
        # plp divides by abs(ftgram.max()), and numpy's max over complex numbers compares real parts,
        # so columns whose peak has a negative real part are divided by ~1e-19 instead (a quirk we
        # do not copy). Everything else is librosa's algorithm step by step.
        "plp_unit": pulse_unit,
        # fourier_tempogram has frames + 1 columns (centered STFT, hop 1);
        # all columns are written.
        "fourier_tempogram_frames": int(ftg.shape[-1]),
        "fourier_tempogram_peak_bpm": peak_bpm,
        "click_times": starts / SR,
    }


# ----------------------------------------------------------------------------
# Output
# ----------------------------------------------------------------------------

def _r7(v):
    v = float(v)
    if v == 0.0:
        return 0.0
    return float(f"{v:.7g}")


def to_jsonable(v):
    if isinstance(v, np.ndarray):
        if v.ndim == 1:
            return [_r7(a) for a in v]
        return [to_jsonable(row) for row in v]
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return _r7(v)
    return v


def write_case(name, x, kind, extra=None):
    q, y, clipped = quantise(x)
    if clipped:
        print(f"warning: {name}: {clipped} samples clipped", file=sys.stderr)
    scipy.io.wavfile.write(os.path.join(OUT_DIR, name + ".wav"), SR, q)
    # sanity: reading back gives the same samples
    sr_back, q_back = scipy.io.wavfile.read(os.path.join(OUT_DIR, name + ".wav"))
    assert sr_back == SR and q_back.dtype == np.int16 and np.array_equal(q, q_back)

    head = {
        "sr": SR,
        "n_fft": N_FFT,
        "hop_length": HOP,
        "frames": None,
        "librosa_version": librosa.__version__,
        "numpy_version": np.__version__,
        "scipy_version": scipy.__version__,
        "wav": name + ".wav",
    }
    feats = general_features(y) if kind == "general" else clicks_features(y, extra)
    head["frames"] = feats.pop("frames")
    head.update(feats)
    doc = {k: to_jsonable(v) for k, v in head.items()}
    path = os.path.join(OUT_DIR, name + ".json")
    with open(path, "w") as fh:
        json.dump(doc, fh, separators=(",", ":"), allow_nan=False)
        fh.write("\n")
    print(f"{name}: {len(q)} samples, {head['frames']} frames, "
          f"peak {np.max(np.abs(y)):.4f}")


def main():
    write_case("tones", make_tones(), "general")
    write_case("drums", make_drums(), "general")
    x, starts = make_clicks()
    write_case("clicks", x, "clicks", starts)
    write_case("noise", make_noise(), "general")


if __name__ == "__main__":
    main()
