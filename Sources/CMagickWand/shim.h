// ImageMagick 6 MagickWand. The build flags are fixed here, before the include, because
// otherwise the headers redefine types (fd_set) that clash with the other C modules.
#define MAGICKCORE_HDRI_ENABLE 0
#define MAGICKCORE_QUANTUM_DEPTH 16
#include <wand/MagickWand.h>
