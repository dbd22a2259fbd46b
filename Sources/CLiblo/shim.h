// liblo: Open Sound Control over UDP.
#pragma once
#include <lo/lo.h>
