// NDI: the few structures and functions LatentVJ calls, declared from NDI's public SDK documentation.
// No NDI code ships with LatentVJ: the runtime (libndi.so.6) is loaded at run time with dlopen, from
// NDI Tools, the NDI SDK or the ndi-python wheel, and nothing links against it.
#pragma once
#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
    const char *p_ndi_name;
    const char *p_groups;
    bool clock_video;
    bool clock_audio;
} lvj_ndi_send_create;

typedef struct {
    int xres, yres;
    int32_t four_cc;                 // NDIlib_FourCC_video_type_e
    int frame_rate_n, frame_rate_d;
    float picture_aspect_ratio;
    int32_t frame_format_type;       // NDIlib_frame_format_type_e: 1 is progressive
    int64_t timecode;                // INT64_MAX: the runtime makes one up
    uint8_t *p_data;
    int line_stride_in_bytes;
    const char *p_metadata;
    int64_t timestamp;
} lvj_ndi_video_frame;

static const int32_t LVJ_NDI_FOURCC_RGBX = (int32_t)((uint32_t)'R' | ((uint32_t)'G' << 8) | ((uint32_t)'B' << 16) | ((uint32_t)'X' << 24));
static const int32_t LVJ_NDI_PROGRESSIVE = 1;
static const int64_t LVJ_NDI_SYNTHESIZE_TIMECODE = INT64_MAX;

typedef struct {
    void *handle;
    bool (*initialize)(void);
    void (*destroy)(void);
    void *(*send_create)(const lvj_ndi_send_create *);
    void (*send_destroy)(void *);
    void (*send_video)(void *, const lvj_ndi_video_frame *);
    int (*connections)(void *, uint32_t);
} lvj_ndi_runtime;

/// Loads the runtime at `path` (a file, or a bare name the library path resolves). 1 on success; 0 with
/// the reason in `why`.
static inline int lvj_ndi_load(const char *path, lvj_ndi_runtime *rt, char *why, size_t why_size) {
    rt->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!rt->handle) { snprintf(why, why_size, "%s", dlerror()); return 0; }
    rt->initialize = (bool (*)(void))dlsym(rt->handle, "NDIlib_initialize");
    rt->destroy = (void (*)(void))dlsym(rt->handle, "NDIlib_destroy");
    rt->send_create = (void *(*)(const lvj_ndi_send_create *))dlsym(rt->handle, "NDIlib_send_create");
    rt->send_destroy = (void (*)(void *))dlsym(rt->handle, "NDIlib_send_destroy");
    rt->send_video = (void (*)(void *, const lvj_ndi_video_frame *))dlsym(rt->handle, "NDIlib_send_send_video_v2");
    rt->connections = (int (*)(void *, uint32_t))dlsym(rt->handle, "NDIlib_send_get_no_connections");
    if (!rt->initialize || !rt->destroy || !rt->send_create || !rt->send_destroy || !rt->send_video || !rt->connections) {
        snprintf(why, why_size, "%s lacks the NDI 6 sender functions", path);
        dlclose(rt->handle);
        rt->handle = NULL;
        return 0;
    }
    return 1;
}
