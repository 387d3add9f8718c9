#ifndef SHAREVAULT_CSODIUM_SHIM_H
#define SHAREVAULT_CSODIUM_SHIM_H
#include <sodium.h>
#endif
