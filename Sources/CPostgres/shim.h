#ifndef SALES_CPOSTGRES_SHIM_H
#define SALES_CPOSTGRES_SHIM_H
#include <libpq-fe.h>
#endif
