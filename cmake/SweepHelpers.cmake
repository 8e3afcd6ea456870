# Helpers shared by every folder's CMakeLists.txt (absl_cc_library style).

# Warnings for our own targets only; generated protobuf code never sees them.
add_library(sweep_warnings INTERFACE)
target_compile_options(sweep_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow)
if(SWEEP_WERROR)
  target_compile_options(sweep_warnings INTERFACE -Werror)
endif()

# sweep_library(NAME name SRCS a.cc b.cc DEPS dep1 dep2)
# A static library rooted at the repository root for includes ("common/status.h").
function(sweep_library)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_library(${ARG_NAME} STATIC ${ARG_SRCS})
  target_include_directories(${ARG_NAME} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_link_libraries(${ARG_NAME} PUBLIC ${ARG_DEPS} PRIVATE sweep_warnings)
  if(SWEEP_TESTING)
    target_compile_definitions(${ARG_NAME} PUBLIC SWEEP_TESTING=1)
  endif()
endfunction()

# sweep_binary(NAME name SRCS main.cc DEPS libs)
function(sweep_binary)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} sweep_warnings)
  set_target_properties(${ARG_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin)
endfunction()

# sweep_test(NAME name SRCS a_test.cc DEPS libs [LABELS integration] [TIMEOUT s])
# One GoogleTest executable per folder, discovered test by test.
function(sweep_test)
  cmake_parse_arguments(ARG "" "NAME;TIMEOUT" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main
    sweep_warnings)
  target_compile_definitions(${ARG_NAME} PRIVATE
    SWEEP_BIN_DIR="${PROJECT_BINARY_DIR}/bin" SWEEP_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set(props TIMEOUT ${ARG_TIMEOUT})
  if(ARG_LABELS)
    list(APPEND props LABELS "${ARG_LABELS}")
  endif()
  gtest_discover_tests(${ARG_NAME} DISCOVERY_TIMEOUT 60 PROPERTIES ${props})
endfunction()
