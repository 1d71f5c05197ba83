/* Runtime version of the linked library. */
#include "clembed.h"

int clembed_version(void)
{
    return CLEMBED_VERSION_NUMBER;
}

const char *clembed_version_string(void)
{
    return CLEMBED_VERSION_STRING;
}
