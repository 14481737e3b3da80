#ifndef SALES_CARGON2_SHIM_H
#define SALES_CARGON2_SHIM_H
#include <argon2.h>
#endif
