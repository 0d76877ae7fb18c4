/* The simulation engine's investment-projection kernel in C, for bench/simulations: the same algorithm
 * as domain/simulations (Threefry4x32-20 keyed by seed, counter (block, path); Ziggurat with the layer in
 * the low 7 bits; GBM steps with the Brownian-bridge floor correction; Welford moments and fixed-grid
 * histograms per path). Built with gcc -O2 by the benchmark in the same run.
 * Usage: engine SEED PATHS PERIODS PERIODS_PER_YEAR DRIFT VOLATILITY INITIAL FLOOR_FRACTION
 * Prints: seconds path_steps mean_terminal_value */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LAYERS 128
#define BINS 2048
#define FAN_BINS 512
#define FAN_POINTS_MAX 50

static double kn[LAYERS], wn[LAYERS], fn[LAYERS];
static const double R = 3.442619855899, AREA = 9.91256303526217e-3, SCALE = 16777216.0;

static void build_tables(void) {
  double dn = R, tn = R, q = AREA / exp(-0.5 * dn * dn);
  kn[0] = (dn / q) * SCALE; kn[1] = 0;
  wn[0] = q / SCALE; wn[LAYERS - 1] = dn / SCALE;
  fn[0] = 1; fn[LAYERS - 1] = exp(-0.5 * dn * dn);
  for (int i = LAYERS - 2; i >= 1; i--) {
    dn = sqrt(-2 * log(AREA / dn + exp(-0.5 * dn * dn)));
    kn[i + 1] = (dn / tn) * SCALE; tn = dn;
    fn[i] = exp(-0.5 * dn * dn); wn[i] = dn / SCALE;
  }
}

typedef struct { uint32_t ks[5], p0, p1, block, pos; uint32_t w[4]; } stream_t;

static inline uint32_t rotl(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

/* Threefry4x32-20, written out round by round as in domain/simulations/threefry.ts (and Random123), so
 * every rotation is a constant: ROUND_A mixes words (0,1)(2,3), ROUND_B (0,3)(2,1); INJECT adds the key
 * schedule shifted by s words, plus s on the last word. */
#define ROUND_A(r0, r1) x0 += x1; x1 = rotl(x1, r0) ^ x0; x2 += x3; x3 = rotl(x3, r1) ^ x2;
#define ROUND_B(r0, r1) x0 += x3; x3 = rotl(x3, r0) ^ x0; x2 += x1; x1 = rotl(x1, r1) ^ x2;
#define INJECT(s) x0 += ks[(s) % 5]; x1 += ks[((s) + 1) % 5]; x2 += ks[((s) + 2) % 5]; x3 += ks[((s) + 3) % 5] + (s);
static inline void threefry(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, const uint32_t *ks, uint32_t *out) {
  uint32_t x0 = c0 + ks[0], x1 = c1 + ks[1], x2 = c2 + ks[2], x3 = c3 + ks[3];
  ROUND_A(10, 26) ROUND_B(11, 21) ROUND_A(13, 27) ROUND_B(23, 5) INJECT(1)
  ROUND_A(6, 20) ROUND_B(17, 11) ROUND_A(25, 10) ROUND_B(18, 20) INJECT(2)
  ROUND_A(10, 26) ROUND_B(11, 21) ROUND_A(13, 27) ROUND_B(23, 5) INJECT(3)
  ROUND_A(6, 20) ROUND_B(17, 11) ROUND_A(25, 10) ROUND_B(18, 20) INJECT(4)
  ROUND_A(10, 26) ROUND_B(11, 21) ROUND_A(13, 27) ROUND_B(23, 5) INJECT(5)
  out[0] = x0; out[1] = x1; out[2] = x2; out[3] = x3;
}

static inline uint32_t next32(stream_t *s) {
  if (s->pos == 4) { threefry(s->block++, s->p0, s->p1, 0, s->ks, s->w); s->pos = 0; }
  return s->w[s->pos++];
}
static inline double uniform(stream_t *s) { return ((double)next32(s) + 0.5) / 4294967296.0; }

static double normal(stream_t *s) {
  for (;;) {
    int32_t word = (int32_t)next32(s);
    int32_t hz = word >> 7; int iz = word & 127;
    if (fabs((double)hz) < kn[iz]) return hz * wn[iz];
    if (iz == 0) {
      double x, y;
      do { x = -log(uniform(s)) / R; y = -log(uniform(s)); } while (y + y < x * x);
      return hz > 0 ? R + x : -R - x;
    }
    double x = hz * wn[iz];
    if (fn[iz] + uniform(s) * (fn[iz - 1] - fn[iz]) < exp(-0.5 * x * x)) return x;
  }
}

/* A grid's bins, as domain/simulations/statistics.ts precomputes them: origin lo (or log lo), bins per unit. */
typedef struct { double lo, hi; int bins, log_scale; double origin, scale; } grid_t;
static grid_t grid(double lo, double hi, int bins, int log_scale) {
  grid_t g = { lo, hi, bins, log_scale, log_scale ? log(lo) : lo, bins / (log_scale ? log(hi / lo) : hi - lo) };
  return g;
}
static inline int bin_of(const grid_t *g, double v) {
  if (!(v >= g->lo)) return 0;
  if (v >= g->hi) return g->bins + 1;
  int b = (int)floor(((g->log_scale ? log(v) : v) - g->origin) * g->scale);
  return 1 + (b < g->bins - 1 ? b : g->bins - 1);
}

int main(int argc, char **argv) {
  if (argc != 9) { fprintf(stderr, "usage: engine SEED PATHS PERIODS PERIODS_PER_YEAR DRIFT VOLATILITY INITIAL FLOOR_FRACTION\n"); return 2; }
  uint64_t seed = strtoull(argv[1], 0, 10);
  long paths = atol(argv[2]); int periods = atoi(argv[3]); int per_year = atoi(argv[4]);
  double drift = atof(argv[5]), vol = atof(argv[6]), initial = atof(argv[7]), floor_fraction = atof(argv[8]);
  build_tables();
  double dt = 1.0 / per_year, log_drift = (drift - 0.5 * vol * vol) * dt, log_vol = vol * sqrt(dt), bridge = -2 / (log_vol * log_vol);
  /* The JS model's grid: paid in, grown at 8 standard deviations above the mean log return. */
  double mean_log = log_drift * periods, ceiling = initial * exp((mean_log > 0 ? mean_log : 0) + 8 * log_vol * sqrt((double)periods)) + 1;
  int fan_points = periods < FAN_POINTS_MAX ? periods : FAN_POINTS_MAX;
  int *fan_at = malloc(sizeof(int) * (periods + 1));
  for (int i = 0; i <= periods; i++) fan_at[i] = -1;
  for (int i = 0; i < fan_points; i++) fan_at[(int)llround((double)(i + 1) * periods / fan_points)] = i;
  static double hist[3][BINS + 2], fan[FAN_POINTS_MAX][FAN_BINS + 2];
  double n[3] = {0}, mean[3] = {0}, m2[3] = {0}, minimum[3], maximum[3], events = 0;
  for (int i = 0; i < 3; i++) { minimum[i] = INFINITY; maximum[i] = -INFINITY; }
  grid_t grids[3] = { grid(1, ceiling, BINS, 1), grid(-initial, ceiling - initial, BINS, 0), grid(0, 1 + 1e-9, 100, 0) };
  grid_t fan_grid = grid(1, ceiling, FAN_BINS, 1);
  stream_t s = { {(uint32_t)seed, (uint32_t)(seed >> 32), 0, 0, 0}, 0, 0, 0, 4, {0} };
  s.ks[4] = 0x1bd11bdau ^ s.ks[0] ^ s.ks[1];
  struct timespec t0, t1;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
  for (long path = 0; path < paths; path++) {
    s.p0 = (uint32_t)path; s.p1 = (uint32_t)((uint64_t)path >> 32); s.block = 0; s.pos = 4;
    double value = initial, log_value = log(initial), survival = 1, log_floor = log(floor_fraction * initial);
    for (int period = 1; period <= periods; period++) {
      double log_before = log_value, increment = log_drift + log_vol * normal(&s);
      double grown = value * exp(increment), log_grown = log_before + increment;
      if (log_grown <= log_floor || log_before <= log_floor) survival = 0;
      else if (survival > 0) {
        double exponent = bridge * (log_before - log_floor) * (log_grown - log_floor);
        if (exponent > -40) survival *= 1 - exp(exponent);
      }
      value = grown; log_value = log_grown;
      int point = fan_at[period];
      if (point >= 0) fan[point][bin_of(&fan_grid, value)]++;
    }
    double out[3] = { value, value - initial, 1 - survival };
    for (int i = 0; i < 3; i++) {
      double x = out[i], count = n[i] + 1, delta = x - mean[i];
      mean[i] += delta / count; m2[i] += delta * (x - mean[i]); n[i] = count;
      if (x < minimum[i]) minimum[i] = x;
      if (x > maximum[i]) maximum[i] = x;
      hist[i][bin_of(&grids[i], x)]++;
    }
    events += value < initial;
  }
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
  double seconds = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("%.6f %ld %.17g %.0f\n", seconds, paths * (long)periods, mean[0], events);
  free(fan_at);
  return 0;
}
