/*
 * The umbrella header compiles on its own and its version macros are the
 * project's (CMake passes PROJECT_VERSION_* in).
 */
#include <stdio.h>

#include "fusecore/fusecore.h"

int main(void)
{
	if (FC_VERSION_MAJOR != PROJECT_VERSION_MAJOR ||
	    FC_VERSION_MINOR != PROJECT_VERSION_MINOR ||
	    FC_VERSION_PATCH != PROJECT_VERSION_PATCH) {
		fprintf(stderr, "fusecore.h says %d.%d.%d, CMake says %d.%d.%d\n",
			FC_VERSION_MAJOR, FC_VERSION_MINOR, FC_VERSION_PATCH,
			PROJECT_VERSION_MAJOR, PROJECT_VERSION_MINOR,
			PROJECT_VERSION_PATCH);
		return 1;
	}
	printf("1 passed, 0 failed\n");
	return 0;
}
