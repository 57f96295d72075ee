// The remote bridge is generated from the op table (src/backends/ops.ts): every op's arguments
// survive the wire (encode → frame → decode) by their kinds, and RemoteBackend records every op.
import { describe, expect, test } from 'bun:test';
import { OPS, type ArgKind, type OpName } from '../src/backends/ops.ts';
import { encodeFrame, FrameDecoder, type Call } from '../src/backends/remote/frames.ts';
import { decodeArgs, encodeArgs } from '../src/backends/remote/ops-wire.ts';
import { RemoteBackend } from '../src/backends/remote/remote-backend.ts';

const objects = new Map<number, object>();
function sample(kind: ArgKind, i: number): unknown {
  switch (kind) {
    case 'tensor': case 'buf': case 'kv': { const o = { h: 100 + i, kind }; objects.set(o.h, o); return o; }
    case 'tensor?': return i % 2 ? null : sample('tensor', i);
    case 'int': return 7 + i;
    case 'num': return 1.5e-5 * (i + 1);
    case 'ids': return Int32Array.of(3, 200_000, 0, i);
    case 'f32': return Float32Array.of(0.25, -1e-30, i);
    case 'rows': return i % 2 ? 'slot' : 'token';
  }
}

describe('remote bridge from the op table', () => {
  for (const op of Object.keys(OPS) as OpName[]) {
    test(`${op}: arguments round-trip through a frame`, () => {
      const args = OPS[op].map((k, i) => sample(k, i));
      const call: Call = ['op', op, encodeArgs(op, args)];
      const [back] = new FrameDecoder().push(encodeFrame({ t: 'finish', id: 1, bid: 1, calls: [call] })) as { calls: Call[] }[];
      const c = back.calls[0] as ['op', OpName, unknown[]];
      expect(c[1]).toBe(op);
      const got = decodeArgs(op, c[2], (h) => objects.get(h));
      got.forEach((v, i) => {
        if (ArrayBuffer.isView(args[i])) expect([...(v as Int32Array)]).toEqual([...(args[i] as Int32Array)]);
        else expect(v).toBe(args[i]); // the same object (handles map back), or the same value
      });
    });
  }

  test('RemoteBackend has every op and records it with its wire arguments', () => {
    const be = Object.create(RemoteBackend.prototype) as RemoteBackend & { calls: Call[] };
    be.calls = [];
    for (const op of Object.keys(OPS) as OpName[]) {
      const args = OPS[op].map((k, i) => sample(k, i));
      (be[op] as (...a: unknown[]) => void)(...args);
      expect(be.calls.at(-1)).toEqual(['op', op, encodeArgs(op, args)]);
    }
    expect(be.calls.length).toBe(Object.keys(OPS).length);
  });
});
