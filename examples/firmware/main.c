/* Classifies the embedded test images with the model qcc compiled for the Cortex-M4 and prints,
 * for each image, the predicted class and the bits of every logit (hexadecimal, so that a test
 * can compare them exactly with qcc's interpreter). Output goes through semihosting. */
#include "digits.h"
#include "images.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

extern void initialise_monitor_handles(void);

/* The model's scratch memory: in .bss, 64-byte aligned as NAME_run requires. */
static unsigned char arena[digits_ARENA_SIZE] __attribute__((aligned(64)));

int main(void) {
  static float logits[10];
  initialise_monitor_handles();
  if (digits_input_sizes[0] != IMAGE_SIZE || digits_output_sizes[0] != 10) {
    printf("model and images do not match\n");
    return 1;
  }
  for (int i = 0; i < IMAGE_COUNT; ++i) {
    const float *inputs[] = {images[i]};
    float *outputs[] = {logits};
    int status = digits_run(inputs, outputs, arena);
    if (status != 0) {
      printf("image %d: digits_run returned %d\n", i, status);
      return 1;
    }
    int best = 0;
    for (int k = 1; k < 10; ++k)
      if (logits[k] > logits[best]) best = k;
    printf("image %d: class %d logits", i, best);
    for (int k = 0; k < 10; ++k) {
      uint32_t bits;
      memcpy(&bits, &logits[k], sizeof bits);
      printf(" %08lx", (unsigned long)bits);
    }
    printf("\n");
  }
  printf("done: %d images\n", IMAGE_COUNT);
  return 0;
}
