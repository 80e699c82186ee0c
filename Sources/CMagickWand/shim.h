// ImageMagick 6 MagickWand. The build flags are fixed here, before the include, because
// otherwise the headers redefine types (fd_set) that clash with the other C modules.
// The C library headers come first as well: magick-config.h defines _GNU_SOURCE, and if glibc's
// feature macros were settled after that, fd_set (fds_bits vs __fds_bits) would differ from
// Swift's Glibc module, and no Swift file could import both Foundation and CMagickWand.
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdint.h>
#include <math.h>
#include <time.h>
#include <sys/types.h>
#define MAGICKCORE_HDRI_ENABLE 0
#define MAGICKCORE_QUANTUM_DEPTH 16
#include <wand/MagickWand.h>
