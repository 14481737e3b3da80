#ifndef SALES_CFASTCGI_SHIM_H
#define SALES_CFASTCGI_SHIM_H
#include <fcgiapp.h>
#endif
