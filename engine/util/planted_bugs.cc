// Compiled into //engine:util so that an unknown --define=kiln_bug=NAME fails
// every build (planted_bugs.h's static_assert), even one with no bug site.
#include "util/planted_bugs.h"
