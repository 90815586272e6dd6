/* qcc_thread_pool.h: a fixed pool of POSIX threads that runs the parallel entry point of a qcc
 * library (NAME_run_parallel, `qcc compile --threads=N`; docs/codegen.md). Header only, C99
 * with POSIX threads and the __atomic builtins of GCC and Clang; link with -pthread.
 *
 *   qcc_thread_pool pool;
 *   qcc_parallel par;
 *   if (qcc_thread_pool_create(&pool, 2) != 0) return 1;   (the caller and 1 worker)
 *   par = qcc_thread_pool_parallel(&pool);
 *   status = NAME_run_parallel(inputs, outputs, arena, &par);
 *   qcc_thread_pool_destroy(&pool);
 *
 * The workers are created once; qcc_thread_pool_for_each allocates nothing. The calling thread
 * runs tasks too, so a pool of N threads has N - 1 workers. A task goes to whichever thread
 * claims it first, and the caller waits for the tasks, not for the workers: a worker that the
 * OS has not scheduled yet delays nothing, the caller runs its tasks. Between jobs a worker
 * first spins for up to QCC_THREAD_POOL_SPIN checks (the next layer usually follows within
 * microseconds), then sleeps on a condition variable. One job at a time: a pool must not be
 * used by two threads at once; give each concurrent caller its own pool (and its own arena). */
#ifndef QCC_THREAD_POOL_H
#define QCC_THREAD_POOL_H

#include "qcc_parallel.h"

#include <pthread.h>
#include <stdlib.h>

#ifndef QCC_THREAD_POOL_SPIN
#define QCC_THREAD_POOL_SPIN 10000L
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct qcc_thread_pool {
  pthread_mutex_t lock;
  pthread_cond_t wake; /* a new job or stop: workers sleeping between jobs wait here */
  pthread_cond_t done; /* the last task of a job has returned: the caller may wait here */
  void (*task)(void *arg, int index);
  void *arg;
  /* The job's number (high 32 bits) and how many of its tasks are not claimed yet (low 32
   * bits), claimed from the top by compare-and-swap. (atomic) */
  unsigned long long ticket;
  int unfinished; /* tasks of the current job that have not returned (atomic) */
  int stop;       /* (atomic) */
  int workers;
  pthread_t *threads;
} qcc_thread_pool;

static inline void qcc_thread_pool_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __asm__ __volatile__("pause");
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

static inline unsigned qcc_thread_pool_job(unsigned long long ticket) {
  return (unsigned)(ticket >> 32);
}

/* Claims and runs tasks of job `job` until none is left. The task and its argument are read
 * only after a successful claim: the job is unfinished then, so they are still its own (the
 * caller publishes the next job only after every task of this one has returned). */
static inline void qcc_thread_pool_work(qcc_thread_pool *pool, unsigned job) {
  unsigned long long ticket = __atomic_load_n(&pool->ticket, __ATOMIC_ACQUIRE);
  for (;;) {
    unsigned left = (unsigned)(ticket & 0xffffffffu);
    if (qcc_thread_pool_job(ticket) != job || left == 0) return;
    if (!__atomic_compare_exchange_n(&pool->ticket, &ticket, ticket - 1, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
      continue;
    pool->task(pool->arg, (int)(left - 1));
    if (__atomic_sub_fetch(&pool->unfinished, 1, __ATOMIC_ACQ_REL) == 0) {
      pthread_mutex_lock(&pool->lock);
      pthread_cond_signal(&pool->done);
      pthread_mutex_unlock(&pool->lock);
      return;
    }
    ticket = __atomic_load_n(&pool->ticket, __ATOMIC_ACQUIRE);
  }
}

static inline void *qcc_thread_pool_worker(void *self) {
  qcc_thread_pool *pool = (qcc_thread_pool *)self;
  unsigned seen = 0;
  for (;;) {
    unsigned job = seen;
    long spins;
    for (spins = 0; spins < QCC_THREAD_POOL_SPIN && job == seen; ++spins) {
      job = qcc_thread_pool_job(__atomic_load_n(&pool->ticket, __ATOMIC_ACQUIRE));
      if (job == seen) qcc_thread_pool_relax();
    }
    if (job == seen) {
      pthread_mutex_lock(&pool->lock);
      while ((job = qcc_thread_pool_job(__atomic_load_n(&pool->ticket, __ATOMIC_ACQUIRE))) == seen)
        pthread_cond_wait(&pool->wake, &pool->lock);
      pthread_mutex_unlock(&pool->lock);
    }
    seen = job;
    if (__atomic_load_n(&pool->stop, __ATOMIC_ACQUIRE)) return NULL;
    qcc_thread_pool_work(pool, job);
  }
}

/* Runs task(arg, i) for every i in [0, count) on the caller and the workers; returns when all
 * have returned. `pool` is a qcc_thread_pool *; the signature is qcc_parallel's for_each. */
static inline void qcc_thread_pool_for_each(void *self, void (*task)(void *arg, int index),
                                            void *arg, int count) {
  qcc_thread_pool *pool = (qcc_thread_pool *)self;
  unsigned job;
  long spins;
  int i;
  if (count <= 0) return;
  if (pool->workers == 0 || count == 1) {
    for (i = 0; i < count; ++i) task(arg, i);
    return;
  }
  pthread_mutex_lock(&pool->lock);
  job = qcc_thread_pool_job(__atomic_load_n(&pool->ticket, __ATOMIC_RELAXED)) + 1u;
  pool->task = task;
  pool->arg = arg;
  __atomic_store_n(&pool->unfinished, count, __ATOMIC_RELAXED);
  __atomic_store_n(&pool->ticket, (unsigned long long)job << 32 | (unsigned)count,
                   __ATOMIC_RELEASE);
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->lock);
  qcc_thread_pool_work(pool, job);
  for (spins = 0; spins < QCC_THREAD_POOL_SPIN; ++spins) {
    if (__atomic_load_n(&pool->unfinished, __ATOMIC_ACQUIRE) == 0) return;
    qcc_thread_pool_relax();
  }
  pthread_mutex_lock(&pool->lock);
  while (__atomic_load_n(&pool->unfinished, __ATOMIC_ACQUIRE) != 0)
    pthread_cond_wait(&pool->done, &pool->lock);
  pthread_mutex_unlock(&pool->lock);
}

/* Stops and joins the workers and frees what create allocated. */
static inline void qcc_thread_pool_destroy(qcc_thread_pool *pool) {
  int t;
  pthread_mutex_lock(&pool->lock);
  __atomic_store_n(&pool->stop, 1, __ATOMIC_RELEASE);
  /* A new job without tasks wakes every worker. */
  __atomic_store_n(
      &pool->ticket,
      (unsigned long long)(qcc_thread_pool_job(__atomic_load_n(&pool->ticket, __ATOMIC_RELAXED)) +
                           1u)
          << 32,
      __ATOMIC_RELEASE);
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->lock);
  for (t = 0; t < pool->workers; ++t) pthread_join(pool->threads[t], NULL);
  free(pool->threads);
  pool->threads = NULL;
  pool->workers = 0;
  pthread_cond_destroy(&pool->done);
  pthread_cond_destroy(&pool->wake);
  pthread_mutex_destroy(&pool->lock);
}

/* A pool of `threads` threads: the caller of for_each and threads - 1 workers. Returns 0, or
 * -1 when threads < 1 or the workers cannot be created (then nothing is left to destroy). */
static inline int qcc_thread_pool_create(qcc_thread_pool *pool, int threads) {
  int t;
  if (threads < 1) return -1;
  pool->task = NULL;
  pool->arg = NULL;
  pool->ticket = 0;
  pool->unfinished = 0;
  pool->stop = 0;
  pool->workers = 0;
  pool->threads = NULL;
  if (pthread_mutex_init(&pool->lock, NULL) != 0) return -1;
  if (pthread_cond_init(&pool->wake, NULL) != 0) {
    pthread_mutex_destroy(&pool->lock);
    return -1;
  }
  if (pthread_cond_init(&pool->done, NULL) != 0) {
    pthread_cond_destroy(&pool->wake);
    pthread_mutex_destroy(&pool->lock);
    return -1;
  }
  if (threads > 1) {
    pool->threads = (pthread_t *)malloc((size_t)(threads - 1) * sizeof(pthread_t));
    if (!pool->threads) {
      qcc_thread_pool_destroy(pool);
      return -1;
    }
  }
  for (t = 0; t < threads - 1; ++t) {
    if (pthread_create(&pool->threads[t], NULL, qcc_thread_pool_worker, pool) != 0) {
      qcc_thread_pool_destroy(pool);
      return -1;
    }
    pool->workers = t + 1;
  }
  return 0;
}

/* The qcc_parallel of NAME_run_parallel that runs its tasks on `pool`. */
static inline qcc_parallel qcc_thread_pool_parallel(qcc_thread_pool *pool) {
  qcc_parallel par;
  par.for_each = qcc_thread_pool_for_each;
  par.ctx = pool;
  return par;
}

#ifdef __cplusplus
}
#endif

#endif /* QCC_THREAD_POOL_H */
