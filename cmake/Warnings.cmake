# Warnings for our own targets only (third-party includes are SYSTEM).
function(clipscope_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
endfunction()
