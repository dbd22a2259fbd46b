// GStreamer: the outputs' media pipelines (shared memory, RTP, SRT, v4l2loopback, any sink pipeline).
// Swift sees only these few functions: GStreamer's casts and buffer fields are C macros.
#pragma once
#include <gst/gst.h>
#include <gst/app/gstappsrc.h>
#include <gst/app/gstappsink.h>
#include <string.h>

/// Initialises GStreamer once per process (later calls do nothing). False when it cannot start.
static inline int lvj_gst_init(void) {
    static int done = 0, ok = 0;
    if (!done) { done = 1; ok = gst_init_check(NULL, NULL, NULL) ? 1 : 0; }
    return ok;
}

/// Whether an element factory (a plugin's element, such as "srtsink") is installed.
static inline int lvj_gst_has_element(const char *name) {
    GstElementFactory *f = gst_element_factory_find(name);
    if (!f) return 0;
    gst_object_unref(f);
    return 1;
}

/// Builds a pipeline from its description. NULL on failure, with the reason in *error (free it with lvj_gst_free).
static inline GstElement *lvj_gst_launch(const char *description, char **error) {
    GError *e = NULL;
    GstElement *p = gst_parse_launch(description, &e);
    if (e) {
        *error = g_strdup(e->message);
        g_error_free(e);
        if (p) gst_object_unref(p);
        return NULL;
    }
    *error = NULL;
    return p;
}

/// The appsrc named `name` in the pipeline (a new reference), or NULL if there is none.
static inline GstAppSrc *lvj_gst_app_src(GstElement *pipeline, const char *name) {
    GstElement *e = gst_bin_get_by_name(GST_BIN(pipeline), name);
    if (!e) return NULL;
    if (!GST_IS_APP_SRC(e)) { gst_object_unref(e); return NULL; }
    return GST_APP_SRC(e);
}

/// Sets the pipeline playing (1), paused, or stopped and freed of its resources (NULL state).
static inline int lvj_gst_play(GstElement *pipeline) {
    return gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE;
}
static inline void lvj_gst_stop(GstElement *pipeline) { gst_element_set_state(pipeline, GST_STATE_NULL); }
static inline void lvj_gst_unref(void *object) { if (object) gst_object_unref(object); }
static inline void lvj_gst_free(char *s) { g_free(s); }

/// A pool of `count` frame buffers of `size` bytes, made once: after it, a frame allocates nothing.
static inline GstBufferPool *lvj_gst_pool_new(unsigned size, unsigned count) {
    GstBufferPool *pool = gst_buffer_pool_new();
    GstStructure *config = gst_buffer_pool_get_config(pool);
    gst_buffer_pool_config_set_params(config, NULL, size, count, count);
    if (!gst_buffer_pool_set_config(pool, config) || !gst_buffer_pool_set_active(pool, TRUE)) {
        gst_object_unref(pool);
        return NULL;
    }
    return pool;
}
static inline void lvj_gst_pool_free(GstBufferPool *pool) {
    if (!pool) return;
    gst_buffer_pool_set_active(pool, FALSE);
    gst_object_unref(pool);
}

/// Buffers the appsrc holds that its pipeline has not taken yet.
static inline unsigned long lvj_gst_queued(GstAppSrc *src) { return (unsigned long)gst_app_src_get_current_level_buffers(src); }

enum { LVJ_GST_PUSHED = 0, LVJ_GST_NO_BUFFER = 1, LVJ_GST_FLOW_ERROR = 2 };

/// Copies one frame into a pooled buffer and hands it to the appsrc (which timestamps it).
/// LVJ_GST_NO_BUFFER: every pooled buffer is still downstream (a slow receiver): the frame is dropped.
static inline int lvj_gst_push(GstAppSrc *src, GstBufferPool *pool, const void *data, size_t size) {
    GstBuffer *b = NULL;
    GstBufferPoolAcquireParams params;
    memset(&params, 0, sizeof params);
    params.flags = GST_BUFFER_POOL_ACQUIRE_FLAG_DONTWAIT;
    if (gst_buffer_pool_acquire_buffer(pool, &b, &params) != GST_FLOW_OK || !b) return LVJ_GST_NO_BUFFER;
    gst_buffer_fill(b, 0, data, size);
    return gst_app_src_push_buffer(src, b) == GST_FLOW_OK ? LVJ_GST_PUSHED : LVJ_GST_FLOW_ERROR;   // push takes b
}

/// The pipeline's bus (a new reference).
static inline GstBus *lvj_gst_bus(GstElement *pipeline) { return gst_element_get_bus(pipeline); }

/// The oldest error or warning on the bus as text (free with lvj_gst_free), or NULL when there is none.
/// Never waits. *is_error: 1 for an error (the pipeline stopped), 0 for a warning.
static inline char *lvj_gst_pop_problem(GstBus *bus, int *is_error) {
    GstMessage *m = gst_bus_pop_filtered(bus, (GstMessageType)(GST_MESSAGE_ERROR | GST_MESSAGE_WARNING));
    if (!m) return NULL;
    GError *e = NULL;
    gchar *debug = NULL;
    *is_error = GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR;
    if (*is_error) gst_message_parse_error(m, &e, &debug); else gst_message_parse_warning(m, &e, &debug);
    gchar *source = GST_MESSAGE_SRC(m) ? gst_object_get_name(GST_MESSAGE_SRC(m)) : NULL;
    char *text = g_strdup_printf("%s: %s", source ? source : "pipeline", e ? e->message : "unknown problem");
    g_free(source);
    g_free(debug);
    if (e) g_error_free(e);
    gst_message_unref(m);
    return text;
}

/// The appsink named `name` in the pipeline (a new reference), or NULL if there is none: a receiver in
/// this process (the outputs' latency probe).
static inline GstAppSink *lvj_gst_app_sink(GstElement *pipeline, const char *name) {
    GstElement *e = gst_bin_get_by_name(GST_BIN(pipeline), name);
    if (!e) return NULL;
    if (!GST_IS_APP_SINK(e)) { gst_object_unref(e); return NULL; }
    return GST_APP_SINK(e);
}

/// Waits up to `timeout_ns` for the appsink's next frame and copies up to `capacity` bytes of it to `out`.
/// Returns the bytes copied, 0 when none came in time, -1 at the end of the stream.
static inline long lvj_gst_pull(GstAppSink *sink, unsigned long long timeout_ns, void *out, size_t capacity) {
    GstSample *s = gst_app_sink_try_pull_sample(sink, (GstClockTime)timeout_ns);
    if (!s) return gst_app_sink_is_eos(sink) ? -1 : 0;
    GstBuffer *b = gst_sample_get_buffer(s);
    size_t n = b ? gst_buffer_extract(b, 0, out, capacity) : 0;
    gst_sample_unref(s);
    return (long)n;
}
