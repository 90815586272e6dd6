/* A C99 user of a compiled model: includes only the generated header model.h and links only
 * libmodel.a (and libc, pthreads for the reentrancy check). Built by tests/codegen/compile_test.py
 * with `cc -std=c99 -Wall -Wextra -pedantic -Werror`.
 *
 * usage: harness IN.npy... (model_NUM_INPUTS files per run, float32 .npy, C order)
 * Prints one line per run: the bits of every output element as 8 hex digits, outputs in order.
 * Also checks the API's argument errors, and that runs on two threads with their own arenas
 * give the same bits as the sequential runs. Exit code 0 on success.
 *
 * A library compiled with --threads=N (model.h defines model_THREADS) is also run through
 * model_run_parallel on pools of runtime/qcc_thread_pool.h (1, N and N + 1 threads, the
 * runtime folder on the include path), which must give the same bits as model_run. */
#include "model.h"
#ifdef model_THREADS
#include "qcc_thread_pool.h"
#endif

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALIGNMENT 64

struct runs {
  int count;       /* runs */
  float **inputs;  /* count * model_NUM_INPUTS buffers */
  float **outputs; /* count * model_NUM_OUTPUTS buffers */
  int first;       /* the runs a thread does: first, first + step, ... */
  int step;
  int failed;
};

static void die(const char *message, const char *detail) {
  fprintf(stderr, "harness: %s%s%s\n", message, detail ? ": " : "", detail ? detail : "");
  exit(1);
}

static void *allocate(size_t bytes) {
  void *p = calloc(bytes ? bytes : 1, 1);
  if (!p) die("out of memory", NULL);
  return p;
}

/* The arena: inside `storage`, rounded up to the alignment the API requires. */
static void *aligned_arena(unsigned char *storage) {
  size_t misalignment = (size_t)storage % ALIGNMENT;
  return storage + (misalignment ? ALIGNMENT - misalignment : 0);
}

/* Reads a little-endian float32 .npy file of exactly `count` elements. */
static float *read_npy(const char *path, size_t count) {
  FILE *f = fopen(path, "rb");
  unsigned char prefix[12];
  size_t header;
  float *data;
  char *dict;
  if (!f) die("cannot open", path);
  if (fread(prefix, 1, 10, f) != 10 || memcmp(prefix, "\x93NUMPY", 6) != 0)
    die("not a .npy file", path);
  if (prefix[6] == 1) {
    header = (size_t)prefix[8] | (size_t)prefix[9] << 8;
  } else {
    if (fread(prefix + 10, 1, 2, f) != 2) die("truncated .npy header", path);
    header = (size_t)prefix[8] | (size_t)prefix[9] << 8 | (size_t)prefix[10] << 16 |
             (size_t)prefix[11] << 24;
  }
  dict = allocate(header + 1);
  if (fread(dict, 1, header, f) != header) die("truncated .npy header", path);
  if (!strstr(dict, "'<f4'") || strstr(dict, "'fortran_order': True"))
    die("expected a float32 array in C order", path);
  free(dict);
  data = allocate(count * sizeof(float));
  if (fread(data, sizeof(float), count, f) != count || fgetc(f) != EOF)
    die("wrong number of elements", path);
  fclose(f);
  return data;
}

static int run_one(struct runs *r, int i, void *arena) {
  return model_run((const float *const *)(r->inputs + (size_t)i * model_NUM_INPUTS),
                   r->outputs + (size_t)i * model_NUM_OUTPUTS, arena);
}

static void *run_some(void *arg) {
  struct runs *r = arg;
  unsigned char *storage = allocate(model_ARENA_SIZE + ALIGNMENT);
  void *arena = aligned_arena(storage);
  int i;
  for (i = r->first; i < r->count; i += r->step)
    if (run_one(r, i, arena) != 0) r->failed = 1;
  free(storage);
  return NULL;
}

static float **new_outputs(int count) {
  float **outputs = allocate((size_t)count * model_NUM_OUTPUTS * sizeof(float *));
  int i, j;
  for (i = 0; i < count; ++i)
    for (j = 0; j < model_NUM_OUTPUTS; ++j)
      outputs[(size_t)i * model_NUM_OUTPUTS + j] = allocate(model_output_sizes[j] * sizeof(float));
  return outputs;
}

static void free_buffers(float **buffers, size_t count) {
  size_t i;
  for (i = 0; i < count; ++i) free(buffers[i]);
  free(buffers);
}

/* The API's argument checks: NULL pointers give 1, a misaligned arena gives 2. */
static void check_argument_errors(struct runs *r) {
  unsigned char *storage = allocate(model_ARENA_SIZE + 2 * ALIGNMENT);
  unsigned char *arena = aligned_arena(storage);
  if (model_run(NULL, r->outputs, arena) != 1) die("model_run(NULL inputs) did not return 1", NULL);
  if (model_run((const float *const *)r->inputs, NULL, arena) != 1)
    die("model_run(NULL outputs) did not return 1", NULL);
  if (model_run((const float *const *)r->inputs, r->outputs, NULL) != 1)
    die("model_run(NULL arena) did not return 1", NULL);
  if (model_run((const float *const *)r->inputs, r->outputs, arena + 8) != 2)
    die("model_run(misaligned arena) did not return 2", NULL);
  free(storage);
}

#ifdef model_THREADS
/* Runs every input through model_run_parallel on a pool of `threads` threads and compares the
 * outputs with those of model_run; also checks that a NULL par gives 1. */
static void check_parallel(struct runs *r, int threads) {
  qcc_thread_pool pool;
  qcc_parallel par, none = {NULL, NULL};
  float **outputs = new_outputs(r->count);
  unsigned char *storage = allocate(model_ARENA_SIZE + ALIGNMENT);
  void *arena = aligned_arena(storage);
  int i, repeat;
  if (qcc_thread_pool_create(&pool, threads) != 0) die("cannot create the thread pool", NULL);
  par = qcc_thread_pool_parallel(&pool);
  if (model_run_parallel((const float *const *)r->inputs, outputs, arena, NULL) != 1)
    die("model_run_parallel(NULL par) did not return 1", NULL);
  if (model_run_parallel((const float *const *)r->inputs, outputs, arena, &none) != 1)
    die("model_run_parallel(NULL for_each) did not return 1", NULL);
  for (repeat = 0; repeat < 2; ++repeat)
    for (i = 0; i < r->count; ++i) {
      int j;
      if (model_run_parallel((const float *const *)(r->inputs + (size_t)i * model_NUM_INPUTS),
                             outputs + (size_t)i * model_NUM_OUTPUTS, arena, &par) != 0)
        die("model_run_parallel failed", NULL);
      for (j = 0; j < model_NUM_OUTPUTS; ++j)
        if (memcmp(outputs[(size_t)i * model_NUM_OUTPUTS + j],
                   r->outputs[(size_t)i * model_NUM_OUTPUTS + j],
                   model_output_sizes[j] * sizeof(float)) != 0)
          die("model_run_parallel gave other results than model_run", NULL);
    }
  qcc_thread_pool_destroy(&pool);
  free(storage);
  free_buffers(outputs, (size_t)r->count * model_NUM_OUTPUTS);
}
#endif

int main(int argc, char **argv) {
  struct runs sequential, threaded[2];
  pthread_t threads[2];
  int i, j, t;
  size_t k;
  if (argc < 2 || (argc - 1) % model_NUM_INPUTS != 0)
    die("usage: harness IN.npy... (a multiple of model_NUM_INPUTS files)", NULL);
  for (j = 0; j < model_NUM_INPUTS; ++j)
    if (!model_input_names[j] || !model_input_sizes[j]) die("bad input table", NULL);
  sequential.count = (argc - 1) / model_NUM_INPUTS;
  sequential.inputs = allocate((size_t)(argc - 1) * sizeof(float *));
  for (i = 0; i < argc - 1; ++i)
    sequential.inputs[i] = read_npy(argv[i + 1], model_input_sizes[i % model_NUM_INPUTS]);
  sequential.outputs = new_outputs(sequential.count);
  sequential.first = 0;
  sequential.step = 1;
  sequential.failed = 0;
  check_argument_errors(&sequential);
  run_some(&sequential);
  if (sequential.failed) die("model_run failed", NULL);
#ifdef model_THREADS
  check_parallel(&sequential, 1);
  check_parallel(&sequential, model_THREADS);
  check_parallel(&sequential, model_THREADS + 1);
#endif

  for (t = 0; t < 2; ++t) {
    threaded[t] = sequential;
    threaded[t].outputs = new_outputs(sequential.count);
    threaded[t].first = 0;
    threaded[t].step = 1;
    if (pthread_create(&threads[t], NULL, run_some, &threaded[t]) != 0)
      die("cannot start a thread", NULL);
  }
  for (t = 0; t < 2; ++t) {
    pthread_join(threads[t], NULL);
    if (threaded[t].failed) die("model_run failed on a thread", NULL);
    for (i = 0; i < sequential.count * model_NUM_OUTPUTS; ++i)
      if (memcmp(threaded[t].outputs[i], sequential.outputs[i],
                 model_output_sizes[i % model_NUM_OUTPUTS] * sizeof(float)) != 0)
        die("two threads gave other results than the sequential runs", NULL);
    free_buffers(threaded[t].outputs, (size_t)sequential.count * model_NUM_OUTPUTS);
  }

  for (i = 0; i < sequential.count; ++i) {
    for (j = 0; j < model_NUM_OUTPUTS; ++j) {
      const float *out = sequential.outputs[(size_t)i * model_NUM_OUTPUTS + j];
      for (k = 0; k < model_output_sizes[j]; ++k) {
        unsigned long bits = 0;
        unsigned char b[4];
        memcpy(b, &out[k], 4);
        bits = (unsigned long)b[0] | (unsigned long)b[1] << 8 | (unsigned long)b[2] << 16 |
               (unsigned long)b[3] << 24;
        printf("%s%08lx", j == 0 && k == 0 ? "" : " ", bits);
      }
    }
    printf("\n");
  }
  free_buffers(sequential.outputs, (size_t)sequential.count * model_NUM_OUTPUTS);
  free_buffers(sequential.inputs, (size_t)(argc - 1));
  return 0;
}
