# Makes module_fuzzer's binary seeds in OUT_DIR: the test guests in GUEST_DIR
# that are small enough to mutate quickly, and modules `wasm-tools smith`
# (WASM_TOOLS) generates from fixed bytes. Run with cmake -P.
set(kMaxGuestBytes 65536)
set(kSmithModules 8)

file(REMOVE_RECURSE ${OUT_DIR})
file(MAKE_DIRECTORY ${OUT_DIR})
file(GLOB guests ${GUEST_DIR}/*.wasm)
foreach(guest ${guests})
  file(SIZE ${guest} size)
  if(size LESS_EQUAL kMaxGuestBytes)
    get_filename_component(name ${guest} NAME)
    file(COPY_FILE ${guest} ${OUT_DIR}/guest-${name})
  endif()
endforeach()

# smith reads its choices from stdin; any bytes will do, so text from a hash
# chain makes the same modules on every build.
set(entropy "orivon")
foreach(i RANGE 1 ${kSmithModules})
  set(input "")
  foreach(j RANGE 1 32)
    string(SHA256 entropy "${entropy}${i}")
    string(APPEND input "${entropy}")
  endforeach()
  file(WRITE ${OUT_DIR}/smith-input-${i}.txt "${input}")
  execute_process(
    COMMAND ${WASM_TOOLS} smith --ensure-termination -o ${OUT_DIR}/smith-${i}.wasm
    INPUT_FILE ${OUT_DIR}/smith-input-${i}.txt
    RESULT_VARIABLE result ERROR_VARIABLE error)
  file(REMOVE ${OUT_DIR}/smith-input-${i}.txt)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "wasm-tools smith failed: ${error}")
  endif()
endforeach()
