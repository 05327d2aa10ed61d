/* sgemm_probe: OpenBLAS single-precision GEMM throughput for the shapes an scVI epoch is made of.
 *
 * Links the same system OpenBLAS cellvi uses (-lopenblas). Row-major, as cellvi stores weights [out, in].
 * usage: sgemm_probe THREADS SECONDS M N K TA TB [M N K TA TB ...]
 *   TA/TB: 0 = no transpose, 1 = transpose. Prints one line per shape:
 *   "M N K TA TB seconds_per_call gflops" (median of timed batches after a warm-up). */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

extern void openblas_set_num_threads(int);

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 8 || (argc - 3) % 5 != 0) {
        fprintf(stderr, "usage: %s THREADS SECONDS M N K TA TB [...]\n", argv[0]);
        return 2;
    }
    openblas_set_num_threads(atoi(argv[1]));
    double budget = atof(argv[2]);
    for (int a = 3; a + 4 < argc; a += 5) {
        int M = atoi(argv[a]), N = atoi(argv[a + 1]), K = atoi(argv[a + 2]);
        int ta = atoi(argv[a + 3]), tb = atoi(argv[a + 4]);
        float *A = malloc(sizeof(float) * (size_t)M * K);  /* (M, K) or (K, M) if ta */
        float *B = malloc(sizeof(float) * (size_t)K * N);  /* (K, N) or (N, K) if tb */
        float *C = malloc(sizeof(float) * (size_t)M * N);  /* (M, N) */
        for (size_t i = 0; i < (size_t)M * K; i++) A[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
        for (size_t i = 0; i < (size_t)K * N; i++) B[i] = (float)((i * 40503u) % 1000) / 1000.0f - 0.5f;
        for (size_t i = 0; i < (size_t)M * N; i++) C[i] = 0;
        int lda = ta ? M : K, ldb = tb ? K : N;
        enum CBLAS_TRANSPOSE TA = ta ? CblasTrans : CblasNoTrans, TB = tb ? CblasTrans : CblasNoTrans;
        /* warm-up and calibration: how many calls fill ~budget/10 seconds */
        double t0 = now();
        int calls = 0;
        while (now() - t0 < 0.05 || calls < 3) {
            cblas_sgemm(CblasRowMajor, TA, TB, M, N, K, 1.0f, A, lda, B, ldb, 1.0f, C, N);
            calls++;
        }
        double per = (now() - t0) / calls;
        int inner = (int)(budget / 10 / per);
        if (inner < 1) inner = 1;
        double samples[10];
        for (int s = 0; s < 10; s++) {
            double t = now();
            for (int i = 0; i < inner; i++)
                cblas_sgemm(CblasRowMajor, TA, TB, M, N, K, 1.0f, A, lda, B, ldb, 1.0f, C, N);
            samples[s] = (now() - t) / inner;
        }
        qsort(samples, 10, sizeof(double), cmp);
        double med = 0.5 * (samples[4] + samples[5]);
        printf("%d %d %d %d %d %.9f %.2f\n", M, N, K, ta, tb, med, 2.0 * M * N * K / med / 1e9);
        fflush(stdout);
        free(A); free(B); free(C);
    }
    return 0;
}
