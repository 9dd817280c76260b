# Writes OUT (a header with GENLAB_GIT_COMMIT and GENLAB_GIT_DIRTY) from the git checkout
# at SRC; run on every build, it rewrites the header only when the values change, so the
# commit a run file records is the one built, not the one configured.
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${SRC}
                OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
execute_process(COMMAND git status --porcelain --untracked-files=no WORKING_DIRECTORY ${SRC}
                OUTPUT_VARIABLE changes OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT commit)
  set(commit "unknown")
endif()
if(changes)
  set(dirty true)
else()
  set(dirty false)
endif()
set(text "#pragma once\n#define GENLAB_GIT_COMMIT \"${commit}\"\n#define GENLAB_GIT_DIRTY ${dirty}\n")
if(EXISTS ${OUT})
  file(READ ${OUT} old)
endif()
if(NOT "${old}" STREQUAL "${text}")
  file(WRITE ${OUT} "${text}")
endif()
