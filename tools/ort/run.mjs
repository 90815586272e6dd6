#!/usr/bin/env node
// ort-run: an onnxruntime oracle for qcc's tests.
//
// Runs an ONNX model with onnxruntime-node (CPU execution provider, one intra-op
// thread, graph optimizations disabled unless --opt says otherwise) on inputs read
// from .npy files and writes its outputs to .npy files. See README.md beside this
// file for usage.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const PROG = 'ort-run';

class UsageError extends Error {}
class OrtRunError extends Error {}

function fail(msg) {
  throw new OrtRunError(msg);
}

const USAGE = `usage:
  node tools/ort/run.mjs MODEL.onnx --input IN.npy [...] --output OUT.npy [...] [--opt=LEVEL]
  node tools/ort/run.mjs MODEL.onnx --list
  node tools/ort/run.mjs MODEL.onnx --describe
  node tools/ort/run.mjs MODEL.onnx --random-inputs DIR [--seed N] [--dim NAME=SIZE ...]

Runs MODEL with onnxruntime (CPU EP, intraOpNumThreads=1). Inputs are fed in the
order of the session's input names, outputs written in the order of its output names.

options:
  --input FILE        an input .npy (repeat once per model input, in model input order)
  --output FILE       where to write an output .npy (repeat once per model output)
  --opt=LEVEL         graph optimization level: disabled (default), basic, extended,
                      layout, all
  --list              print "input NAME" and "output NAME" lines and exit
  --describe          like --list, with element type and shape ("input NAME TYPE [d0,d1]")
  --random-inputs DIR write deterministic pseudo-random .npy inputs for every model input
                      into DIR, print the written paths in input order
  --seed N            seed for --random-inputs (default 0)
  --dim NAME=SIZE     size to use for symbolic dimension NAME with --random-inputs
                      (symbolic or unknown dimensions default to 1)
  -h, --help          this text`;

// ---------------------------------------------------------------------------
// dtypes

// numpy descr (without byte order) <-> onnxruntime tensor type
const DTYPES = [
  // kind+size, ort type, bytes per element, typed array constructor
  { np: 'f4', ort: 'float32', size: 4, Arr: Float32Array },
  { np: 'f8', ort: 'float64', size: 8, Arr: Float64Array },
  { np: 'f2', ort: 'float16', size: 2, Arr: Uint16Array },
  { np: 'i1', ort: 'int8', size: 1, Arr: Int8Array },
  { np: 'u1', ort: 'uint8', size: 1, Arr: Uint8Array },
  { np: 'i2', ort: 'int16', size: 2, Arr: Int16Array },
  { np: 'u2', ort: 'uint16', size: 2, Arr: Uint16Array },
  { np: 'i4', ort: 'int32', size: 4, Arr: Int32Array },
  { np: 'u4', ort: 'uint32', size: 4, Arr: Uint32Array },
  { np: 'i8', ort: 'int64', size: 8, Arr: BigInt64Array },
  { np: 'u8', ort: 'uint64', size: 8, Arr: BigUint64Array },
  { np: 'b1', ort: 'bool', size: 1, Arr: Uint8Array },
];
const BY_NP = new Map(DTYPES.map((d) => [d.np, d]));
const BY_ORT = new Map(DTYPES.map((d) => [d.ort, d]));

function npDescr(d) {
  return (d.size === 1 ? '|' : '<') + d.np;
}

// ---------------------------------------------------------------------------
// .npy reading / writing (format versions 1.0, 2.0 and 3.0; little-endian; C order)

const NPY_MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

// Parses the header dictionary written by numpy, e.g.
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
function parseNpyHeader(text, file) {
  const bad = (why) => fail(`${file}: bad .npy header (${why}): ${JSON.stringify(text.trim())}`);
  const t = text.trim();
  if (!t.startsWith('{') || !t.endsWith('}')) bad('not a dict');
  const descrM = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(t);
  const fortranM = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(t);
  const shapeM = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(t);
  if (!descrM) bad("no 'descr'");
  if (!fortranM) bad("no 'fortran_order'");
  if (!shapeM) bad("no 'shape'");
  const shape = [];
  for (const part of shapeM[1].split(',')) {
    const p = part.trim().replace(/L$/, '');
    if (p === '') continue;
    if (!/^\d+$/.test(p)) bad(`shape entry ${JSON.stringify(p)}`);
    shape.push(Number(p));
  }
  return { descr: descrM[1], fortran: fortranM[1] === 'True', shape };
}

function descrToDtype(descr, file) {
  const m = /^([<>|=]?)([a-zA-Z]\d+)$/.exec(descr);
  if (!m) fail(`${file}: unsupported .npy dtype '${descr}' (structured or unknown)`);
  const [, order, code] = m;
  const d = BY_NP.get(code);
  if (!d) fail(`${file}: unsupported .npy dtype '${descr}'`);
  if (order === '>' && d.size > 1) fail(`${file}: big-endian .npy dtype '${descr}' is not supported`);
  // '=' (native) is little-endian on every platform onnxruntime-node ships for
  return d;
}

function readNpy(file) {
  if (!fs.existsSync(file)) fail(`${file}: no such file`);
  let buf;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    fail(`${file}: cannot read: ${e.message}`);
  }
  if (buf.length < 10 || !buf.subarray(0, 6).equals(NPY_MAGIC)) fail(`${file}: not a .npy file (bad magic)`);
  const major = buf[6];
  let hlen;
  let hstart;
  if (major === 1) {
    hlen = buf.readUInt16LE(8);
    hstart = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) fail(`${file}: truncated .npy header`);
    hlen = buf.readUInt32LE(8);
    hstart = 12;
  } else {
    fail(`${file}: unsupported .npy format version ${major}.${buf[7]}`);
  }
  if (hstart + hlen > buf.length) fail(`${file}: truncated .npy header`);
  const header = buf.subarray(hstart, hstart + hlen).toString(major === 3 ? 'utf8' : 'latin1');
  const { descr, fortran, shape } = parseNpyHeader(header, file);
  const dtype = descrToDtype(descr, file);
  const count = shape.reduce((a, b) => a * b, 1);
  if (fortran && shape.filter((s) => s > 1).length > 1) {
    fail(`${file}: Fortran-order .npy arrays are not supported (save with C order)`);
  }
  const dataStart = hstart + hlen;
  const nbytes = count * dtype.size;
  if (buf.length - dataStart < nbytes) {
    fail(`${file}: truncated .npy data: shape (${shape.join(', ')}) needs ${nbytes} bytes, file has ${buf.length - dataStart}`);
  }
  if (buf.length - dataStart > nbytes) {
    fail(`${file}: .npy has ${buf.length - dataStart - nbytes} trailing bytes after the data`);
  }
  // copy into a fresh, aligned ArrayBuffer
  const ab = new ArrayBuffer(nbytes);
  new Uint8Array(ab).set(buf.subarray(dataStart, dataStart + nbytes));
  return { dtype, shape, data: new dtype.Arr(ab) };
}

function npyBytes(dtype, shape, data) {
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${npDescr(dtype)}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  // pad with spaces and end with '\n' so that the data starts on a 64-byte boundary;
  // format 1.0 stores the header length in 16 bits, 2.0 in 32 bits
  const padded = (pre) => {
    const pad = (64 - ((pre + dict.length + 1) % 64)) % 64;
    return dict + ' '.repeat(pad) + '\n';
  };
  let major = 1;
  let pre = 10;
  let hdr = padded(pre);
  if (hdr.length > 0xffff) {
    major = 2;
    pre = 12;
    hdr = padded(pre);
  }
  const head = Buffer.alloc(pre);
  NPY_MAGIC.copy(head, 0);
  head[6] = major;
  head[7] = 0;
  if (major === 1) head.writeUInt16LE(hdr.length, 8);
  else head.writeUInt32LE(hdr.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.concat([head, Buffer.from(hdr, 'latin1'), body]);
}

function writeNpy(file, dtype, shape, data) {
  try {
    fs.writeFileSync(file, npyBytes(dtype, shape, data));
  } catch (e) {
    fail(`${file}: cannot write: ${e.message}`);
  }
}

// ---------------------------------------------------------------------------
// deterministic pseudo-random numbers: xoshiro128** seeded with splitmix32

function makeRng(seed) {
  let x = seed >>> 0;
  const sm = () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  const s = [sm(), sm(), sm(), sm()];
  const rotl = (v, k) => ((v << k) | (v >>> (32 - k))) >>> 0;
  const next = () => {
    const r = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    for (let i = 0; i < 4; i++) s[i] >>>= 0;
    return r;
  };
  return {
    u32: next,
    // uniform in [0, 1) with 24 random bits
    unit: () => (next() >>> 8) / 16777216,
    // uniform integer in [lo, hi]
    int: (lo, hi) => lo + Math.floor(((next() >>> 8) / 16777216) * (hi - lo + 1)),
  };
}

// IEEE binary16 bits of a float (round to nearest even)
function toHalfBits(f) {
  const f32 = new Float32Array([f]);
  const u = new Uint32Array(f32.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  let mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++;
  return sign | h;
}

function randomData(dtype, count, rng) {
  const a = new dtype.Arr(count);
  for (let i = 0; i < count; i++) {
    switch (dtype.ort) {
      case 'float32':
      case 'float64':
        a[i] = rng.unit() * 2 - 1;
        break;
      case 'float16':
        a[i] = toHalfBits(rng.unit() * 2 - 1);
        break;
      case 'int8':
        a[i] = rng.int(-128, 127);
        break;
      case 'uint8':
        a[i] = rng.int(0, 255);
        break;
      case 'bool':
        a[i] = rng.u32() & 1;
        break;
      case 'int16':
      case 'int32':
        a[i] = rng.int(-8, 8);
        break;
      case 'uint16':
      case 'uint32':
        a[i] = rng.int(0, 16);
        break;
      case 'int64':
        a[i] = BigInt(rng.int(-8, 8));
        break;
      case 'uint64':
        a[i] = BigInt(rng.int(0, 16));
        break;
      default:
        fail(`no random generator for type ${dtype.ort}`);
    }
  }
  return a;
}

// ---------------------------------------------------------------------------
// command line

function parseArgs(argv) {
  const o = {
    model: null,
    inputs: [],
    outputs: [],
    opt: 'disabled',
    list: false,
    describe: false,
    randomDir: null,
    seed: 0,
    dims: new Map(),
    help: false,
  };
  const OPT_LEVELS = ['disabled', 'basic', 'extended', 'layout', 'all'];
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let val = null;
    if (a.startsWith('--') && a.includes('=')) {
      val = a.slice(a.indexOf('=') + 1);
      a = a.slice(0, a.indexOf('='));
    }
    const need = () => {
      if (val !== null) return val;
      if (i + 1 >= argv.length) throw new UsageError(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '-h':
      case '--help':
        o.help = true;
        break;
      case '--input':
        o.inputs.push(need());
        break;
      case '--output':
        o.outputs.push(need());
        break;
      case '--opt': {
        const v = need();
        if (!OPT_LEVELS.includes(v)) throw new UsageError(`--opt must be one of ${OPT_LEVELS.join(', ')}, not '${v}'`);
        o.opt = v;
        break;
      }
      case '--list':
        o.list = true;
        break;
      case '--describe':
        o.describe = true;
        break;
      case '--random-inputs':
        o.randomDir = need();
        break;
      case '--seed': {
        const v = need();
        if (!/^\d+$/.test(v) || Number(v) > 0xffffffff) throw new UsageError(`--seed must be an integer in [0, 2^32), not '${v}'`);
        o.seed = Number(v);
        break;
      }
      case '--dim': {
        const v = need();
        const m = /^(.+)=(\d+)$/.exec(v);
        if (!m) throw new UsageError(`--dim wants NAME=SIZE, not '${v}'`);
        o.dims.set(m[1], Number(m[2]));
        break;
      }
      default:
        if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option '${argv[i]}'`);
        if (o.model !== null) throw new UsageError(`more than one model given ('${o.model}', '${a}')`);
        o.model = a;
    }
  }
  if (o.help) return o;
  if (o.model === null) throw new UsageError('no model given');
  const modes = [o.list, o.describe, o.randomDir !== null].filter(Boolean).length;
  if (modes > 1) throw new UsageError('--list, --describe and --random-inputs are exclusive');
  if (modes === 1 && (o.inputs.length || o.outputs.length)) {
    throw new UsageError('--input/--output cannot be combined with --list, --describe or --random-inputs');
  }
  return o;
}

// ---------------------------------------------------------------------------

function loadOrt() {
  const require = createRequire(import.meta.url);
  try {
    return require('onnxruntime-node');
  } catch (e) {
    const here = path.dirname(new URL(import.meta.url).pathname);
    fail(
      `cannot load onnxruntime-node (${e.message.split('\n')[0]}); install it with: ` +
        `cd ${here} && ONNXRUNTIME_NODE_INSTALL=skip npm ci`,
    );
  }
}

// symbolic dimensions print as their name, unknown ones (reported as '') as '?'
function shapeStr(shape) {
  return `[${shape.map((d) => (d === '' ? '?' : d)).join(',')}]`;
}

async function main(argv) {
  const o = parseArgs(argv);
  if (o.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (!fs.existsSync(o.model)) fail(`${o.model}: no such file`);
  if (!fs.statSync(o.model).isFile()) fail(`${o.model}: not a file`);

  const ort = loadOrt();
  let session;
  try {
    session = await ort.InferenceSession.create(o.model, {
      executionProviders: ['cpu'],
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: o.opt,
      logSeverityLevel: 3,
    });
  } catch (e) {
    fail(`${o.model}: onnxruntime cannot load the model: ${e.message}`);
  }
  const inNames = session.inputNames;
  const outNames = session.outputNames;
  const inMeta = new Map((session.inputMetadata ?? []).map((m) => [m.name, m]));
  const outMeta = new Map((session.outputMetadata ?? []).map((m) => [m.name, m]));

  if (o.list || o.describe) {
    const line = (kind, name, meta) => {
      if (!o.describe) return `${kind} ${name}`;
      if (!meta) return `${kind} ${name} ? ?`;
      if (!meta.isTensor) return `${kind} ${name} non-tensor -`;
      return `${kind} ${name} ${meta.type} ${shapeStr(meta.shape)}`;
    };
    const lines = [];
    for (const n of inNames) lines.push(line('input', n, inMeta.get(n)));
    for (const n of outNames) lines.push(line('output', n, outMeta.get(n)));
    process.stdout.write(lines.map((l) => l + '\n').join(''));
    return;
  }

  if (o.randomDir !== null) {
    fs.mkdirSync(o.randomDir, { recursive: true });
    const rng = makeRng(o.seed);
    const used = new Set();
    const written = [];
    inNames.forEach((name, idx) => {
      const meta = inMeta.get(name);
      if (!meta) fail(`no input metadata for '${name}' (onnxruntime-node too old?)`);
      if (!meta.isTensor) fail(`input '${name}' is not a tensor`);
      const dtype = BY_ORT.get(meta.type);
      if (!dtype) fail(`input '${name}' has type ${meta.type}, which --random-inputs does not support`);
      const shape = meta.shape.map((d) => {
        if (typeof d === 'number' && d >= 0) return d;
        if (typeof d === 'string' && o.dims.has(d)) return o.dims.get(d);
        return 1;
      });
      const count = shape.reduce((a, b) => a * b, 1);
      const data = randomData(dtype, count, rng);
      let base = `${String(idx).padStart(2, '0')}_${name.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
      while (used.has(base)) base += '_';
      used.add(base);
      const file = path.join(o.randomDir, base + '.npy');
      writeNpy(file, dtype, shape, data);
      written.push(file);
    });
    process.stdout.write(written.map((f) => f + '\n').join(''));
    return;
  }

  // ---- run
  if (o.inputs.length !== inNames.length) {
    fail(
      `model has ${inNames.length} input(s) (${inNames.join(', ')}) but ${o.inputs.length} --input given`,
    );
  }
  if (o.outputs.length !== outNames.length) {
    fail(
      `model has ${outNames.length} output(s) (${outNames.join(', ')}) but ${o.outputs.length} --output given`,
    );
  }
  const feeds = {};
  inNames.forEach((name, i) => {
    const file = o.inputs[i];
    const arr = readNpy(file);
    const meta = inMeta.get(name);
    if (meta && meta.isTensor) {
      if (meta.type !== arr.dtype.ort) {
        const want = BY_ORT.get(meta.type);
        fail(
          `${file}: dtype '${npDescr(arr.dtype)}' (${arr.dtype.ort}) does not match model input '${name}' of type ${meta.type}` +
            (want ? ` ('${npDescr(want)}')` : ''),
        );
      }
      const ms = meta.shape;
      if (ms.length > 0 || arr.shape.length === 0) {
        const mismatch =
          ms.length !== arr.shape.length ||
          ms.some((d, k) => typeof d === 'number' && d >= 0 && d !== arr.shape[k]);
        if (mismatch) {
          fail(`${file}: shape ${shapeStr(arr.shape)} does not match model input '${name}' of shape ${shapeStr(ms)}`);
        }
      }
    }
    feeds[name] = new ort.Tensor(arr.dtype.ort, arr.data, arr.shape);
  });
  let results;
  try {
    results = await session.run(feeds);
  } catch (e) {
    fail(`onnxruntime run failed: ${e.message}`);
  }
  outNames.forEach((name, i) => {
    const t = results[name];
    if (!t || typeof t.type !== 'string' || !('dims' in t)) fail(`output '${name}' is not a tensor`);
    const dtype = BY_ORT.get(t.type);
    if (!dtype) fail(`output '${name}' has type ${t.type}, which cannot be written as .npy here`);
    let data = t.data;
    if (!(data instanceof dtype.Arr)) {
      // e.g. bool tensors may come back as another byte view
      data = new dtype.Arr(data.buffer, data.byteOffset, data.length);
    }
    writeNpy(o.outputs[i], dtype, Array.from(t.dims), data);
  });
  await session.release();
}

main(process.argv.slice(2)).then(
  () => {
    process.exitCode = 0;
  },
  (e) => {
    if (e instanceof UsageError) {
      process.stderr.write(`${PROG}: error: ${e.message} (see --help)\n`);
      process.exitCode = 1;
    } else if (e instanceof OrtRunError) {
      process.stderr.write(`${PROG}: error: ${e.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`${PROG}: error: internal: ${e && e.stack ? e.stack : e}\n`);
      process.exitCode = 1;
    }
  },
);
