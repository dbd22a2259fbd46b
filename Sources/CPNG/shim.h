// libpng's simplified API (png_image_*): plots, screenshots, frames.
#pragma once
#include <png.h>

// The simplified API's version and format are macros; give Swift plain constants.
static const unsigned int LVJ_PNG_IMAGE_VERSION = PNG_IMAGE_VERSION;
static const unsigned int LVJ_PNG_FORMAT_RGBA = PNG_FORMAT_RGBA;
