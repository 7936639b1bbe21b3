/* gst-webrtc-session: what every fuzz target shares.
 *
 * Each target defines LLVMFuzzerTestOneInput(). Built with clang it links
 * libFuzzer (-fsanitize=fuzzer) and run-fuzz.sh fuzzes it for a bounded
 * time; built with another compiler it links replay.cpp, which runs the
 * checked-in corpus once (tests/fuzz/corpus/<target>/), so every corpus
 * entry is a regression test in the default build too.
 *
 * A target states the invariants it checks with FUZZ_CHECK: a broken one
 * aborts (a crash for libFuzzer, a failure for the replay), printing what
 * broke. */
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond, ...)                                                  \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(                                                                 \
          stderr, "%s:%d: invariant broken: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                            \
      fprintf(stderr, "\n");                                                   \
      abort();                                                                 \
    }                                                                          \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional: set-up once before the first input (gst_init, say). */
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(
    int *argc, char ***argv);
