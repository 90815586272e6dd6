/* Startup code for a Cortex-M4 with FPU: the vector table at address 0 and the reset handler,
 * which prepares RAM and the FPU before main() runs. Linked with -nostartfiles, so nothing else
 * runs before main(). */
#include <stdint.h>
#include <stdlib.h>

extern uint32_t __data_start__, __data_end__, __data_load__, __bss_start__, __bss_end__;
extern uint32_t __StackTop;

int main(void);
void Reset_Handler(void);

/* Faults stop the program with a non-zero status (semihosting reports it as an error). */
static void Fault_Handler(void) {
  exit(3);
}

/* exit() runs the C library's destructors through _fini, which crti.o (not linked with
 * -nostartfiles) would provide; C code has none. */
void _fini(void);
void _fini(void) {}

/* Coprocessor Access Control Register of the System Control Block. */
#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)

void Reset_Handler(void) {
  /* Full access to CP10 and CP11 (the FPU) before any floating-point instruction runs. */
  SCB_CPACR |= 0xFu << 20;
  __asm__ volatile("dsb\n\tisb" ::: "memory");
  uint32_t *from = &__data_load__;
  for (uint32_t *to = &__data_start__; to < &__data_end__;) *to++ = *from++;
  for (uint32_t *to = &__bss_start__; to < &__bss_end__;) *to++ = 0;
  exit(main());
}

/* Initial stack pointer, then the exception handlers of the Armv7-M core (16 entries, as
 * addresses); the program uses no interrupts. */
__attribute__((section(".vectors"), used)) static const uintptr_t vector_table[16] = {
    (uintptr_t)&__StackTop,   (uintptr_t)Reset_Handler, (uintptr_t)Fault_Handler, /* NMI */
    (uintptr_t)Fault_Handler,                                                     /* HardFault */
    (uintptr_t)Fault_Handler,                                                     /* MemManage */
    (uintptr_t)Fault_Handler,                                                     /* BusFault */
    (uintptr_t)Fault_Handler,                                                     /* UsageFault */
};
