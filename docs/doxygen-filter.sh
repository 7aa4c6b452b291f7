#!/bin/sh
# Doxygen INPUT_FILTER for the public headers (docs/Doxyfile).  The header
# comments name parameters and fields kernel-doc style, "@name"; Doxygen
# would read those as its own commands (@code, @end, @c, @p, @file...).
# This turns each into Doxygen's "\p name" (a parameter in code font) while
# Doxygen reads the file; the headers themselves are not changed.
exec sed -E 's/@([A-Za-z_][A-Za-z0-9_]*)/\\p \1/g' "$1"
