/* Test helper: small video files written with the FFmpeg libraries, for the tests that read
 * video (the frames' pictures come from the caller). */
#ifndef PK_TU_VIDEO_H
#define PK_TU_VIDEO_H

#include <stdint.h>

/* Fills frame `index`'s w x h luma plane (rows `stride` bytes apart). */
typedef void (*tu_luma_fn)(void *ctx, int index, uint8_t *luma, int stride, int w, int h);

/* Writes n frames of w x h grey video at 10 fps to path: MPEG-4 in AVI, a key frame every
 * `gop` frames, near-lossless (the tests read plates from it). Fails the test on error. */
void tu_write_video(const char *path, int w, int h, int n, int gop, tu_luma_fn fn, void *ctx);

/* The same as MPEG-4 in MP4 with a display matrix that says to turn the picture turn_cw degrees
 * clockwise to show it (90, 180 or 270), as a phone records a video held upright. */
void tu_write_video_turned(const char *path, int turn_cw, int w, int h, int n, tu_luma_fn fn,
                           void *ctx);

#endif
