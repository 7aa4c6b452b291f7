#include "client_i.h"
