#!/usr/bin/env node
// ort-bench: times one model in onnxruntime-node (the one tools/ort installs), single
// thread, all graph optimizations on, as a user deploying the model would run it.
//
// usage: node benchmarks/ort_bench.mjs MODEL.onnx [--runs N] [--warmup N]
//                                      [--optimized-out FILE]
//
// Prints one JSON line: {"model", "runs", "median_us", "p10_us", "p90_us"} (wall time of
// session.run, microseconds). Inputs are random (seed fixed): floats uniform in [0, 1)
// (image pixels), integers over the type's range. --optimized-out writes the graph
// onnxruntime actually runs (after fusion), to check which kernels it chose.

import fs from 'node:fs';
import { createRequire } from 'node:module';

const PROG = 'ort-bench';
const USAGE =
  'usage: node benchmarks/ort_bench.mjs MODEL.onnx [--runs N] [--warmup N] [--optimized-out FILE]';

function die(msg, code = 1) {
  process.stderr.write(`${PROG}: error: ${msg}\n`);
  process.exit(code);
}

function parseArgs(argv) {
  const o = { model: null, runs: 50, warmup: 5, optimizedOut: null };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let val = null;
    if (a.startsWith('--') && a.includes('=')) {
      val = a.slice(a.indexOf('=') + 1);
      a = a.slice(0, a.indexOf('='));
    }
    const need = () => {
      if (val !== null) return val;
      if (i + 1 >= argv.length) die(`${a} needs a value\n${USAGE}`, 2);
      return argv[++i];
    };
    const count = (min) => {
      const v = need();
      if (!/^\d+$/.test(v) || Number(v) < min) {
        die(`${a} wants an integer >= ${min}, not '${v}'`, 2);
      }
      return Number(v);
    };
    if (a === '-h' || a === '--help') {
      process.stdout.write(USAGE + '\n');
      process.exit(0);
    } else if (a === '--runs') o.runs = count(1);
    else if (a === '--warmup') o.warmup = count(0);
    else if (a === '--optimized-out') o.optimizedOut = need();
    else if (a.startsWith('-')) die(`unknown option '${a}'\n${USAGE}`, 2);
    else if (o.model !== null) die(`more than one model given\n${USAGE}`, 2);
    else o.model = a;
  }
  if (o.model === null) die(`no model given\n${USAGE}`, 2);
  return o;
}

// xorshift32: reproducible inputs without a dependency
function makeRng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

const RANDOM = {
  float32: (n, r) => Float32Array.from({ length: n }, r),
  float64: (n, r) => Float64Array.from({ length: n }, r),
  uint8: (n, r) => Uint8Array.from({ length: n }, () => Math.floor(r() * 256)),
  int8: (n, r) => Int8Array.from({ length: n }, () => Math.floor(r() * 256) - 128),
};

// linear interpolation between the closest ranks (numpy's default), so p50 is the median
function percentile(sorted, p) {
  const pos = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(o.model)) die(`${o.model}: no such file`);
  const require = createRequire(new URL('../tools/ort/package.json', import.meta.url));
  let ort;
  try {
    ort = require('onnxruntime-node');
  } catch (e) {
    die(`cannot load onnxruntime-node from tools/ort (run tools/install-deps): ${e.message}`);
  }
  const options = {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  };
  if (o.optimizedOut) options.optimizedModelFilePath = o.optimizedOut;
  let session;
  try {
    session = await ort.InferenceSession.create(o.model, options);
  } catch (e) {
    die(`${o.model}: onnxruntime cannot load the model: ${e.message}`);
  }
  const rng = makeRng(20240601);
  const feeds = {};
  for (const meta of session.inputMetadata) {
    if (!meta.isTensor) die(`input '${meta.name}' is not a tensor`);
    const make = RANDOM[meta.type];
    if (!make) die(`input '${meta.name}' has type ${meta.type}: no random generator for it`);
    const shape = meta.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    const n = shape.reduce((a, b) => a * b, 1);
    feeds[meta.name] = new ort.Tensor(meta.type, make(n, rng), shape);
  }
  try {
    for (let i = 0; i < o.warmup; i++) await session.run(feeds);
    const times = [];
    for (let i = 0; i < o.runs; i++) {
      const t0 = process.hrtime.bigint();
      await session.run(feeds);
      times.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
    times.sort((a, b) => a - b);
    const round = (v) => Math.round(v * 10) / 10;
    process.stdout.write(
      JSON.stringify({
        model: o.model,
        runs: o.runs,
        median_us: round(percentile(times, 50)),
        p10_us: round(percentile(times, 10)),
        p90_us: round(percentile(times, 90)),
      }) + '\n',
    );
  } catch (e) {
    die(`onnxruntime run failed: ${e.message}`);
  }
  await session.release();
}

main();
