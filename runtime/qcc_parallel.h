/* qcc_parallel.h: how the parallel entry point of a qcc library (NAME_run_parallel, generated
 * by `qcc compile --threads=N`) hands work to the caller's threads. C99; part of qcc's runtime
 * (docs/codegen.md, "Running on several threads"). The generated NAME.h repeats this definition
 * under the same include guard, so a program may include either or both.
 *
 * The generated code creates no thread and calls no function outside memcpy and memset: for a
 * layer worth splitting, it calls for_each(ctx, task, arg, count), and for_each must call
 * task(arg, i) exactly once for every i in [0, count), in any order and on any threads, and
 * return only when all those calls have returned (their memory writes visible to the caller).
 * The tasks of one call write disjoint bytes, so they may run at the same time.
 * runtime/qcc_thread_pool.h implements for_each with a fixed pool of POSIX threads. */
#ifndef QCC_PARALLEL_H
#define QCC_PARALLEL_H

typedef struct qcc_parallel {
  void (*for_each)(void *ctx, void (*task)(void *arg, int index), void *arg, int count);
  void *ctx;
} qcc_parallel;

#endif /* QCC_PARALLEL_H */
