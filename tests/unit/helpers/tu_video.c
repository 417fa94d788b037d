#include "tu_video.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>

#include "testutil.h"

static void encode(AVCodecContext *c, AVFormatContext *fmt, AVStream *st, AVFrame *f) {
    assert_true(avcodec_send_frame(c, f) >= 0);
    AVPacket *pkt = av_packet_alloc();
    while (avcodec_receive_packet(c, pkt) >= 0) {
        av_packet_rescale_ts(pkt, c->time_base, st->time_base);
        pkt->stream_index = st->index;
        assert_true(av_interleaved_write_frame(fmt, pkt) >= 0);
    }
    av_packet_free(&pkt);
}

static void write_video(const char *path, const char *container, int turn_cw, int w, int h, int n,
                        int gop, tu_luma_fn fn, void *ctx) {
    AVFormatContext *fmt = NULL;
    assert_true(avformat_alloc_output_context2(&fmt, NULL, container, path) >= 0);
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_MPEG4);
    assert_non_null(codec);
    AVStream *st = avformat_new_stream(fmt, NULL);
    AVCodecContext *c = avcodec_alloc_context3(codec);
    c->width = w;
    c->height = h;
    c->time_base = (AVRational){1, 10};
    c->framerate = (AVRational){10, 1};
    c->pix_fmt = AV_PIX_FMT_YUV420P;
    c->gop_size = gop;
    c->flags |= AV_CODEC_FLAG_QSCALE;
    c->global_quality = FF_QP2LAMBDA * 2;
    assert_true(avcodec_open2(c, codec, NULL) >= 0);
    avcodec_parameters_from_context(st->codecpar, c);
    st->time_base = c->time_base;
    if (turn_cw) {
        /* av_display_rotation_set takes the clockwise angle (av_display_rotation_get gives the
         * counter-clockwise one). */
        uint8_t *m = av_stream_new_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, 9 * sizeof(int32_t));
        assert_non_null(m);
        av_display_rotation_set((int32_t *)m, turn_cw);
    }
    assert_true(avio_open(&fmt->pb, path, AVIO_FLAG_WRITE) >= 0);
    assert_true(avformat_write_header(fmt, NULL) >= 0);
    AVFrame *f = av_frame_alloc();
    f->format = c->pix_fmt;
    f->width = w;
    f->height = h;
    assert_true(av_frame_get_buffer(f, 0) >= 0);
    for (int i = 0; i < n; i++) {
        assert_true(av_frame_make_writable(f) >= 0);
        fn(ctx, i, f->data[0], f->linesize[0], w, h);
        for (int y = 0; y < h / 2; y++)
            for (int x = 0; x < w / 2; x++) {
                f->data[1][y * f->linesize[1] + x] = 128;
                f->data[2][y * f->linesize[2] + x] = 128;
            }
        f->pts = i;
        encode(c, fmt, st, f);
    }
    encode(c, fmt, st, NULL);
    av_write_trailer(fmt);
    avio_closep(&fmt->pb);
    av_frame_free(&f);
    avcodec_free_context(&c);
    avformat_free_context(fmt);
}

void tu_write_video(const char *path, int w, int h, int n, int gop, tu_luma_fn fn, void *ctx) {
    write_video(path, "avi", 0, w, h, n, gop, fn, ctx);
}

void tu_write_video_turned(const char *path, int turn_cw, int w, int h, int n, tu_luma_fn fn,
                           void *ctx) {
    write_video(path, "mp4", turn_cw, w, h, n, 4, fn, ctx);
}
