#!/usr/bin/env bash
# tests/adversarial/run-gpu.sh: builds and runs the CUDA half of the adversarial
# suite (adversarial_gpu) on a CUDA machine, from a generated CMake root with
# only core, evaluator and tests/adversarial (same dependency handling and
# .gpudeps layout as scripts/gpu-check: system packages, else $KSEARCH_DEPS:
# nlohmann/include, yaml/{include,lib}, catch2/). Carry .gpudeps to the device.
# Results: $OUT/adversarial-results-gpu.json (rewritten after every case),
# $OUT/adversarial-gpu.log, $OUT/build.log. Then, on the development machine:
#   scripts/adversarial-report adversarial-results-host.json adversarial-results-gpu.json \
#     -o docs/honest-evaluation.md
# Env: RUN_LIMIT_S (default 240) bounds the suite's wall time; extra environment
# (KSEARCH_ADVERSARIAL_ONLY, KSEARCH_ADVERSARIAL_TASKS_DIR) passes through.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-/tmp/ksearch-adversarial-gpu}
DEPS=${KSEARCH_DEPS:-$ROOT/.gpudeps}
BUILD=${KSEARCH_GPU_BUILD:-/tmp/ksearch-adversarial-build}
mkdir -p "$OUT" "$BUILD/root"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,temperature.gpu --format=csv > "$OUT/environment.txt" 2>&1
cat > "$BUILD/root/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.22)
project(ksearch_adversarial_gpu C CXX)
set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)
set(CMAKE_RUNTIME_OUTPUT_DIRECTORY \${CMAKE_BINARY_DIR}/bin)
find_package(Threads REQUIRED)
find_package(nlohmann_json 3.10 QUIET)
if(NOT TARGET nlohmann_json::nlohmann_json)
  add_library(nlohmann_json::nlohmann_json INTERFACE IMPORTED)
  set_target_properties(nlohmann_json::nlohmann_json PROPERTIES INTERFACE_INCLUDE_DIRECTORIES $DEPS/nlohmann/include)
endif()
find_package(yaml-cpp QUIET)
if(NOT TARGET yaml-cpp)
  add_library(yaml-cpp STATIC IMPORTED)
  set_target_properties(yaml-cpp PROPERTIES IMPORTED_LOCATION $DEPS/yaml/lib/libyaml-cpp.a
                        INTERFACE_INCLUDE_DIRECTORIES $DEPS/yaml/include)
endif()
enable_testing()
add_library(ksearch_catch_main STATIC $ROOT/tests/catch_main.cc)
if(EXISTS /usr/include/catch2/catch.hpp)
  target_include_directories(ksearch_catch_main PUBLIC /usr/include/catch2 $ROOT/tests)
else()
  target_include_directories(ksearch_catch_main PUBLIC $DEPS/catch2 $ROOT/tests)
endif()
function(ksearch_add_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS" \${ARGN})
  add_executable(\${name} \${T_SOURCES} \${T_UNPARSED_ARGUMENTS})
  target_link_libraries(\${name} PRIVATE ksearch_catch_main \${T_LIBS})
  add_test(NAME \${name} COMMAND \${name})
endfunction()
add_subdirectory($ROOT/core core)
add_subdirectory($ROOT/evaluator evaluator)
add_subdirectory($ROOT/tests/adversarial adversarial)
CMAKE
( cmake -S "$BUILD/root" -B "$BUILD/out" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CUDA_ARCHITECTURES=90 \
        -DCMAKE_CUDA_STANDARD=17 &&
  cmake --build "$BUILD/out" -j"$(nproc)" --target ksearch-runner ksearch-runner-cuda adversarial_gpu ) \
  > "$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log"; echo "BUILD FAILED"; exit 1; }
echo "build ok"
cd "$BUILD/out/bin" || exit 1
KSEARCH_ADVERSARIAL_OUT="$OUT/adversarial-results-gpu.json" timeout "${RUN_LIMIT_S:-240}" \
  ./adversarial_gpu > "$OUT/adversarial-gpu.log" 2>&1
rc=$?
tail -25 "$OUT/adversarial-gpu.log"
python3 - "$OUT/adversarial-results-gpu.json" <<'PY' || true
import json, sys
for r in json.load(open(sys.argv[1]))["cases"]:
    print(f'{r["id"]:30s} {r["verdict"]:36s} {r["outcome"]:14s} {r.get("run_s", 0):6.1f}s {r["detail"][:90]}')
PY
exit $rc
