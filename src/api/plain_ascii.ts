// The test behind the ascii/base64 rule — is every byte printable ASCII (0x20–0x7E) or TAB, LF,
// CR? — at memory speed: a 16-bytes-at-a-time WebAssembly SIMD loop (the server runs it over
// every byte of output). The module is assembled below from named instructions, so it reads as
// what it does; where WebAssembly SIMD is missing, one regex over a latin1 view does the same.

const NOT_PLAIN = /[^\t\n\r\x20-\x7e]/;
// The fallback's view of the bytes: WHATWG "latin1" is windows-1252, which maps 0x80–0x9F to
// other characters, all outside the plain class as well, so the verdict is the same.
const latin1 = new TextDecoder("latin1");
/** Bytes examined per call of the module (its memory holds one window, padded). */
const WINDOW = 256 * 1024;
const PAGES = Math.ceil((WINDOW + 16) / 65536);

// ---- a minimal WebAssembly assembler: just what the one function needs ----

const SIMD = 0xfd;
const op = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  return: 0x0f,
  localGet: 0x20,
  localSet: 0x21,
  i32Const: 0x41,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  void: 0x40,
  i32: 0x7f,
  v128: 0x7b,
};
const simd = {
  load: [SIMD, 0x00, 0, 0], // v128.load, align 1, offset 0
  splat: [SIMD, 0x0f], // i8x16.splat
  eq: [SIMD, 0x23], // i8x16.eq
  ltU: [SIMD, 0x26], // i8x16.lt_u
  geU: [SIMD, 0x2c], // i8x16.ge_u
  andNot: [SIMD, 0x4f], // v128.andnot: a & ~b
  or: [SIMD, 0x50],
  anyTrue: [SIMD, 0x53],
};

/** Signed LEB128 (i32.const immediates). */
function sleb(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    const done = (value === 0 && !(byte & 0x40)) || (value === -1 && (byte & 0x40));
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

/** A section; every one here is shorter than 128 bytes, so its size is one byte. */
function section(id: number, body: number[]): number[] {
  if (body.length >= 128) throw new Error("section too long for a one-byte size");
  return [id, body.length, ...body];
}

const LEN = 0; // the parameter: bytes to examine (a multiple of 16)
const I = 1; // the offset
const V = 2; // the current 16 bytes

/** `splat(byte)` compared with V by `compare`. */
const against = (byte: number, compare: number[]) => [
  op.localGet,
  V,
  op.i32Const,
  ...sleb(byte),
  ...simd.splat,
  ...compare,
];

// plain(len): 1 when bytes [0, len) hold only 0x20–0x7E, TAB, LF, CR; else 0.
const body = [
  2, // local declarations: one i32 (I), one v128 (V)
  1,
  op.i32,
  1,
  op.v128,
  op.block,
  op.void,
  op.loop,
  op.void,
  op.localGet,
  I,
  op.localGet,
  LEN,
  op.i32GeU,
  op.brIf,
  1, // I >= LEN: done
  op.localGet,
  I,
  ...simd.load,
  op.localSet,
  V,
  // (V < 0x20 and not TAB, LF, CR) or V >= 0x7F, in any lane
  ...against(0x20, simd.ltU),
  ...against(0x09, simd.eq),
  ...against(0x0a, simd.eq),
  ...simd.or,
  ...against(0x0d, simd.eq),
  ...simd.or,
  ...simd.andNot,
  ...against(0x7f, simd.geU),
  ...simd.or,
  ...simd.anyTrue,
  op.if,
  op.void,
  op.i32Const,
  0,
  op.return,
  op.end,
  op.localGet,
  I,
  op.i32Const,
  16,
  op.i32Add,
  op.localSet,
  I,
  op.br,
  0,
  op.end,
  op.end,
  op.i32Const,
  1,
  op.end,
];

const MODULE = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
  ...section(1, [1, 0x60, 1, op.i32, 1, op.i32]), // type 0: (i32) -> i32
  ...section(3, [1, 0]), // function 0 has type 0
  ...section(5, [1, 0x00, PAGES]), // one memory
  ...section(7, [
    2,
    ...[6, ..."memory".split("").map((c) => c.charCodeAt(0)), 0x02, 0],
    ...[5, ..."plain".split("").map((c) => c.charCodeAt(0)), 0x00, 0],
  ]),
  ...section(10, [1, body.length, ...body]),
]);

interface Checker {
  memory: Uint8Array;
  plain(length: number): number;
}

function instantiate(): Checker | undefined {
  try {
    if (!WebAssembly.validate(MODULE)) return undefined;
    const instance = new WebAssembly.Instance(new WebAssembly.Module(MODULE));
    const exports = instance.exports as { memory: WebAssembly.Memory; plain(n: number): number };
    return { memory: new Uint8Array(exports.memory.buffer), plain: exports.plain };
  } catch {
    return undefined;
  }
}

const checker = instantiate();

/** Whether every byte is printable ASCII (0x20–0x7E) or TAB, LF, CR. */
export function isPlainAscii(bytes: Uint8Array): boolean {
  if (!checker) {
    return !NOT_PLAIN.test(latin1.decode(bytes));
  }
  for (let at = 0; at < bytes.length; at += WINDOW) {
    const window = bytes.subarray(at, at + WINDOW);
    const padded = Math.ceil(window.length / 16) * 16;
    checker.memory.set(window);
    checker.memory.fill(0x20, window.length, padded); // spaces pass
    if (!checker.plain(padded)) return false;
  }
  return true;
}

/** Whether the SIMD module is in use (for tests). */
export const simdCheck = checker !== undefined;
