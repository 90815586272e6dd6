/* Runs the digits model on one image of a float32 .npy batch ([N,1,8,8], version 1.0) and
 * prints the predicted class and the bits of every logit:
 *   classify IMAGES.npy INDEX */
#include "digits.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  static float image[64], logits[10];
  static unsigned char storage[digits_ARENA_SIZE + 64];
  void *arena = storage + (64 - (uintptr_t)storage % 64) % 64;
  unsigned char magic[10];
  if (argc != 3) {
    fprintf(stderr, "usage: classify IMAGES.npy INDEX\n");
    return 2;
  }
  if (digits_input_sizes[0] != 64 || digits_output_sizes[0] != 10) {
    fprintf(stderr, "classify: the model is not the digits model\n");
    return 1;
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f || fread(magic, 1, 10, f) != 10 || memcmp(magic, "\x93NUMPY\x01\x00", 8) != 0) {
    fprintf(stderr, "classify: %s is not a version 1.0 .npy file\n", argv[1]);
    return 1;
  }
  long offset = 10 + (magic[8] | magic[9] << 8) + atol(argv[2]) * (long)sizeof image;
  if (fseek(f, offset, SEEK_SET) != 0 || fread(image, sizeof image, 1, f) != 1) {
    fprintf(stderr, "classify: %s has no image %s\n", argv[1], argv[2]);
    return 1;
  }
  fclose(f);
  const float *inputs[] = {image};
  float *outputs[] = {logits};
  int status = digits_run(inputs, outputs, arena);
  if (status != 0) {
    fprintf(stderr, "classify: digits_run returned %d\n", status);
    return 1;
  }
  int best = 0;
  for (int k = 1; k < 10; ++k)
    if (logits[k] > logits[best]) best = k;
  printf("class %d logits", best);
  for (int k = 0; k < 10; ++k) {
    uint32_t bits;
    memcpy(&bits, &logits[k], sizeof bits);
    printf(" %08lx", (unsigned long)bits);
  }
  printf("\n");
  return 0;
}
