/* A program that uses a model compiled by qcc through its header only:
 *
 *   qcc compile digits_w1a1.onnx -o libdigits.a          (writes libdigits.a and digits.h)
 *   cc -std=c11 -O2 -I. app.c -L. -ldigits -o digits_app
 *   ./digits_app test_x.npy test_y.npy
 *
 * It classifies every image of the test split, prints the accuracy and the median time of one
 * run of the model. The .npy reader handles what the example's files are: version 1.0,
 * little-endian float32 images [N,1,8,8] and int64 labels [N]. */
#define _POSIX_C_SOURCE 199309L
#include "digits.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Reads a version 1.0 .npy file whose dtype is `descr` (e.g. "<f4"); returns the data and the
 * element count, or NULL with a message on stderr. */
static void *read_npy(const char *path, const char *descr, size_t item, size_t *count) {
  FILE *f = fopen(path, "rb");
  unsigned char magic[10];
  char header[1024];
  void *data = NULL;
  if (!f) {
    fprintf(stderr, "digits_app: cannot open %s\n", path);
    return NULL;
  }
  if (fread(magic, 1, 10, f) != 10 || memcmp(magic, "\x93NUMPY\x01\x00", 8) != 0) {
    fprintf(stderr, "digits_app: %s is not a version 1.0 .npy file\n", path);
    goto done;
  }
  size_t length = (size_t)magic[8] | ((size_t)magic[9] << 8);
  if (length >= sizeof header || fread(header, 1, length, f) != length) {
    fprintf(stderr, "digits_app: %s: bad header\n", path);
    goto done;
  }
  header[length] = '\0';
  char want[32];
  snprintf(want, sizeof want, "'descr': '%s'", descr);
  const char *shape = strstr(header, "'shape': (");
  if (!strstr(header, want) || strstr(header, "'fortran_order': True") || !shape) {
    fprintf(stderr, "digits_app: %s: expected a C-order %s array\n", path, descr);
    goto done;
  }
  *count = 1;
  for (const char *p = shape + 10; *p && *p != ')';) {
    char *end;
    unsigned long dim = strtoul(p, &end, 10);
    if (end == p) break;
    *count *= dim;
    p = end;
    while (*p == ',' || *p == ' ') ++p;
  }
  data = malloc(*count * item);
  if (data && fread(data, item, *count, f) != *count) {
    fprintf(stderr, "digits_app: %s: truncated data\n", path);
    free(data);
    data = NULL;
  }
done:
  fclose(f);
  return data;
}

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  static _Alignas(64) unsigned char arena[digits_ARENA_SIZE];
  size_t pixels, labels_count;
  if (argc != 3) {
    fprintf(stderr, "usage: %s test_x.npy test_y.npy\n", argv[0]);
    return 2;
  }
  float *images = read_npy(argv[1], "<f4", sizeof(float), &pixels);
  int64_t *labels = read_npy(argv[2], "<i8", sizeof(int64_t), &labels_count);
  size_t image_size = digits_input_sizes[0];
  if (!images || !labels || pixels != labels_count * image_size || digits_output_sizes[0] != 10) {
    fprintf(stderr, "digits_app: the files do not hold %zu-pixel images and their labels\n",
            image_size);
    return 1;
  }
  double *times = malloc(labels_count * sizeof(double));
  size_t correct = 0;
  for (size_t i = 0; i < labels_count; ++i) {
    float scores[10];
    const float *inputs[1] = {images + i * image_size};
    float *outputs[1] = {scores};
    double start = now_us();
    if (digits_run(inputs, outputs, arena) != 0) {
      fprintf(stderr, "digits_app: digits_run failed\n");
      return 1;
    }
    times[i] = now_us() - start;
    int best = 0;
    for (int c = 1; c < 10; ++c)
      if (scores[c] > scores[best]) best = c;
    correct += best == labels[i];
  }
  qsort(times, labels_count, sizeof(double), compare_doubles);
  printf("accuracy: %zu/%zu (%.4f)\n", correct, labels_count, (double)correct / labels_count);
  printf("latency: median %.2f us per image (one run of digits_run, arena %d bytes)\n",
         times[labels_count / 2], digits_ARENA_SIZE);
  free(times);
  free(images);
  free(labels);
  return 0;
}
