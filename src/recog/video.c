/*
 * video.c: video files through the FFmpeg libraries: every Nth frame as a grey image, turned
 * as the file's display matrix says (a phone's video held upright is stored on its side).
 */
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <string.h>
#include <strings.h>

#include "recog/recog_int.h"

/* A stream URL (rtsp://camera/..., http://..., udp://..., file:...): a live camera's or a
 * recorder's stream, opened by FFmpeg's own protocols. */
int recog_is_stream_url(const char *path) {
    const char *sep = strstr(path, "://");
    if (!sep || sep == path) return 0;
    for (const char *p = path; p < sep; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '+' || *p == '-' || *p == '.'))
            return 0;
    return 1;
}

int recog_is_video_name(const char *path) {
    if (recog_is_stream_url(path)) return 1;
    static const char *ext[] = {".mp4",  ".mkv", ".avi", ".mov", ".ts",
                                ".webm", ".m4v", ".mpg", ".mpeg"};
    const char *dot = strrchr(path, '.');
    if (!dot) return 0;
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++)
        if (!strcasecmp(dot, ext[i])) return 1;
    return 0;
}

static int av_fail(pk_err *err, int code, const char *path, const char *what, int averr) {
    char buf[128];
    av_strerror(averr, buf, sizeof buf);
    return pk_err_set(err, code, "%s: %s: %s", path, what, buf);
}

typedef struct vctx {
    AVIOContext *io; /* reading from memory (recog_video_frames_mem), else NULL */
    AVFormatContext *fmt;
    AVCodecContext *dec;
    struct SwsContext *sws;
    AVFrame *frame;
    AVPacket *pkt;
    recog_image img;
    int orientation; /* EXIF-style (recog__orient): 1 as stored, 6, 3 or 8 when turned */
} vctx;

static void vctx_close(vctx *v) {
    sws_freeContext(v->sws);
    av_frame_free(&v->frame);
    av_packet_free(&v->pkt);
    avcodec_free_context(&v->dec);
    avformat_close_input(&v->fmt);
    if (v->io) {
        av_freep(&v->io->buffer);
        avio_context_free(&v->io);
    }
    recog_image_fini(&v->img);
}

/* The "J" formats (full-range YUV, as Motion-JPEG decodes) are deprecated in swscale, which
 * warns on stderr for every frame: they are converted as the plain format with a full-range
 * source instead. Returns the format to give swscale; *full: whether the source is full range. */
static enum AVPixelFormat plain_format(enum AVPixelFormat f, int *full) {
    *full = 1;
    switch (f) {
    case AV_PIX_FMT_YUVJ420P:
        return AV_PIX_FMT_YUV420P;
    case AV_PIX_FMT_YUVJ422P:
        return AV_PIX_FMT_YUV422P;
    case AV_PIX_FMT_YUVJ444P:
        return AV_PIX_FMT_YUV444P;
    case AV_PIX_FMT_YUVJ440P:
        return AV_PIX_FMT_YUV440P;
    case AV_PIX_FMT_YUVJ411P:
        return AV_PIX_FMT_YUV411P;
    default:
        *full = 0;
        return f;
    }
}

/* How the stream's display matrix says to turn its pictures, as an EXIF orientation: 6, 3 or 8
 * for a quarter, half or three-quarter turn clockwise, 1 for none or for a matrix that also
 * mirrors or turns by another angle (left as stored). */
static int stream_orientation(const AVStream *st) {
    const int32_t *m =
        (const int32_t *)av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, NULL);
    if (!m) return 1;
    if ((double)m[0] * m[4] - (double)m[1] * m[3] < 0) return 1; /* mirrored */
    double cw = -av_display_rotation_get(m); /* the matrix's angle is counter-clockwise */
    if (isnan(cw)) return 1;
    cw = fmod(cw + 360.0, 360.0);
    if (fabs(cw - 90) < 1) return 6;
    if (fabs(cw - 180) < 1) return 3;
    if (fabs(cw - 270) < 1) return 8;
    return 1;
}

/* Converts the decoded frame to grey and hands it to fn. */
static int deliver(vctx *v, AVStream *st, long index, long max_pixels, recog_frame_fn fn, void *ctx,
                   const char *path, pk_err *err) {
    AVFrame *f = v->frame;
    if ((long long)f->width * f->height > max_pixels || f->width <= 0 || f->height <= 0)
        return pk_err_set(err, PK_ELIMIT, "%s: frame of %dx%d is over the limit of %ld pixels",
                          path, f->width, f->height, max_pixels);
    if (v->img.width != f->width || v->img.height != f->height) {
        recog_image_fini(&v->img);
        v->img.width = f->width;
        v->img.height = f->height;
        v->img.px = pk_xmalloc((size_t)f->width * f->height);
    }
    int full;
    enum AVPixelFormat fmt = plain_format((enum AVPixelFormat)f->format, &full);
    v->sws = sws_getCachedContext(v->sws, f->width, f->height, fmt, f->width, f->height,
                                  AV_PIX_FMT_GRAY8, SWS_BILINEAR, NULL, NULL, NULL);
    if (!v->sws) return pk_err_set(err, PK_EUNSUPPORTED, "%s: unsupported pixel format", path);
    if (full) {
        const int *cs = sws_getCoefficients(SWS_CS_DEFAULT);
        sws_setColorspaceDetails(v->sws, cs, 1, cs, 1, 0, 1 << 16, 1 << 16);
    }
    uint8_t *dst[4] = {v->img.px, NULL, NULL, NULL};
    int dst_stride[4] = {f->width, 0, 0, 0};
    sws_scale(v->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst, dst_stride);
    int64_t pts = f->best_effort_timestamp;
    double ms = pts == AV_NOPTS_VALUE ? -1.0 : (double)pts * av_q2d(st->time_base) * 1000.0;
    if (v->orientation == 1) return fn(ctx, &v->img, index, ms);
    /* v->img is kept for the next frame of the same size, so the turned one is apart. */
    recog_image shown;
    recog__orient_into(&v->img, v->orientation, &shown);
    int rc = fn(ctx, &shown, index, ms);
    recog_image_fini(&shown);
    return rc;
}

/* Decodes the video v->fmt holds open (path names it in messages), every Nth frame to fn; closes
 * v. */
static int decode(vctx *v, const char *path, int every, long max_pixels, recog_frame_fn fn,
                  void *ctx, pk_err *err) {
    if (every < 1) every = 1;
    if (max_pixels <= 0) max_pixels = RECOG_MAX_PIXELS_DEF;
    int rc = avformat_find_stream_info(v->fmt, NULL);
    if (rc < 0) {
        vctx_close(v);
        return av_fail(err, PK_EUNSUPPORTED, path, "unreadable video", rc);
    }
    const AVCodec *codec = NULL;
    int si = av_find_best_stream(v->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (si < 0 || !codec) {
        vctx_close(v);
        return pk_err_set(err, PK_EUNSUPPORTED, "%s: no supported video stream", path);
    }
    AVStream *st = v->fmt->streams[si];
    v->orientation = stream_orientation(st);
    v->dec = avcodec_alloc_context3(codec);
    v->frame = av_frame_alloc();
    v->pkt = av_packet_alloc();
    if (!v->dec || !v->frame || !v->pkt) PK_ASSERT(!"out of memory");
    avcodec_parameters_to_context(v->dec, st->codecpar);
    v->dec->thread_count = 1;
    rc = avcodec_open2(v->dec, codec, NULL);
    if (rc < 0) {
        vctx_close(v);
        return av_fail(err, PK_EUNSUPPORTED, path, "cannot open the video decoder", rc);
    }
    long index = 0;
    int ret = 0, eof = 0;
    while (!ret) {
        if (!eof) {
            rc = av_read_frame(v->fmt, v->pkt);
            if (rc < 0) {
                eof = 1;
                avcodec_send_packet(v->dec, NULL);
            } else {
                if (v->pkt->stream_index == si) avcodec_send_packet(v->dec, v->pkt);
                av_packet_unref(v->pkt);
            }
        }
        for (;;) {
            rc = avcodec_receive_frame(v->dec, v->frame);
            if (rc == AVERROR(EAGAIN)) break;
            if (rc == AVERROR_EOF) {
                vctx_close(v);
                return ret;
            }
            if (rc < 0) {
                vctx_close(v);
                return av_fail(err, PK_ECORRUPT, path, "video decoding failed", rc);
            }
            if (index % every == 0) ret = deliver(v, st, index, max_pixels, fn, ctx, path, err);
            index++;
            av_frame_unref(v->frame);
            if (ret) break;
        }
    }
    vctx_close(v);
    return ret;
}

void recog_video_quiet(void) {
    av_log_set_level(AV_LOG_QUIET);
}

int recog_video_frames(const char *path, int every, long max_pixels, recog_frame_fn fn, void *ctx,
                       pk_err *err) {
    vctx v;
    memset(&v, 0, sizeof v);
    /* A stream that stops sending (a camera gone off the network) ends the reading after 10 s
     * instead of hanging: socket I/O timeouts, in microseconds, for the protocols that take them
     * (rtsp and http "timeout", the rest "rw_timeout"). */
    AVDictionary *opt = NULL;
    int url = recog_is_stream_url(path);
    if (url) {
        avformat_network_init();
        av_dict_set(&opt, "timeout", "10000000", 0);
        av_dict_set(&opt, "rw_timeout", "10000000", 0);
    }
    int rc = avformat_open_input(&v.fmt, path, NULL, url ? &opt : NULL);
    av_dict_free(&opt);
    if (rc < 0) {
        if (url) avformat_network_deinit();
        return av_fail(err, rc == AVERROR(ENOENT) ? PK_EIO : PK_EUNSUPPORTED, path,
                       "cannot open as video", rc);
    }
    rc = decode(&v, path, every, max_pixels, fn, ctx, err);
    if (url) avformat_network_deinit();
    return rc;
}

/* An upload held in memory, read by FFmpeg through these callbacks: nothing of it is written to
 * disk (it may be evidence). */
typedef struct membuf {
    const uint8_t *p;
    size_t len, pos;
} membuf;

static int mem_read(void *opaque, uint8_t *buf, int n) {
    membuf *m = opaque;
    size_t left = m->len - m->pos;
    if (left == 0) return AVERROR_EOF;
    if ((size_t)n > left) n = (int)left;
    memcpy(buf, m->p + m->pos, (size_t)n);
    m->pos += (size_t)n;
    return n;
}

static int64_t mem_seek(void *opaque, int64_t off, int whence) {
    membuf *m = opaque;
    if (whence & AVSEEK_SIZE) return (int64_t)m->len;
    whence &= ~AVSEEK_FORCE;
    int64_t base = whence == SEEK_SET   ? 0
                   : whence == SEEK_CUR ? (int64_t)m->pos
                   : whence == SEEK_END ? (int64_t)m->len
                                        : -1;
    if (base < 0 || off > (int64_t)m->len || base + off < 0 || base + off > (int64_t)m->len)
        return AVERROR(EINVAL);
    m->pos = (size_t)(base + off);
    return (int64_t)m->pos;
}

int recog_video_frames_mem(const void *data, size_t len, const char *name, int every,
                           long max_pixels, recog_frame_fn fn, void *ctx, pk_err *err) {
    if (!data || len == 0) return pk_err_set(err, PK_EINVAL, "%s: empty", name);
    membuf m = {data, len, 0};
    vctx v;
    memset(&v, 0, sizeof v);
    enum { IO_BUF = 1 << 16 };
    uint8_t *buf = av_malloc(IO_BUF);
    v.io = buf ? avio_alloc_context(buf, IO_BUF, 0, &m, mem_read, NULL, mem_seek) : NULL;
    v.fmt = avformat_alloc_context();
    if (!buf || !v.io || !v.fmt) PK_ASSERT(!"out of memory");
    v.fmt->pb = v.io;
    /* On failure avformat_open_input frees fmt (not the custom I/O context). */
    int rc = avformat_open_input(&v.fmt, NULL, NULL, NULL);
    if (rc < 0) {
        vctx_close(&v);
        return av_fail(err, PK_EUNSUPPORTED, name, "cannot open as video", rc);
    }
    return decode(&v, name, every, max_pixels, fn, ctx, err);
}
