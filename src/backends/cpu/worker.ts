// A CPU worker: instantiates the kernel module on every arena memory, then takes chunks of each
// dispatched kernel's rows until none are left (protocol in pool.ts).
import { ARENA, DONE, FAILED, GEN, JOBS, KERNEL, MAX_ARGS, MAX_JOBS, N, NARGS, PER_ARG, PER_STRIDE, QUIT, SLEEP, takeChunks } from './pool.ts';

declare const self: Worker;
const SPIN = 200000;

self.onmessage = (ev: MessageEvent) => {
  const { module, memories, ctl: ctlBuf, args: argBuf, id, names } = ev.data as {
    module: WebAssembly.Module; memories: WebAssembly.Memory[]; ctl: SharedArrayBuffer; args: SharedArrayBuffer; id: number; names: string[];
  };
  const ctl = new Int32Array(ctlBuf), argv = new Float64Array(argBuf);
  const fns = memories.map((memory) => {
    const ex = new WebAssembly.Instance(module, { env: { memory } }).exports as Record<string, unknown>;
    return names.map((n) => ex[n] as (...a: number[]) => void);
  });
  let gen = Atomics.load(ctl, GEN); // read before announcing readiness, or the first dispatch can be lost
  self.postMessage('ready');
  const a: number[][] = Array.from({ length: MAX_JOBS }, () => []);
  for (;;) {
    let spins = 0;
    while (Atomics.load(ctl, GEN) === gen) {
      if (++spins > SPIN) {
        Atomics.store(ctl, SLEEP + id, 1);
        Atomics.wait(ctl, GEN, gen);
        Atomics.store(ctl, SLEEP + id, 0);
        spins = 0;
      }
    }
    gen = Atomics.load(ctl, GEN);
    if (Atomics.load(ctl, QUIT)) break;
    for (let j = 0; j < ctl[JOBS]; j++) {
      const aj = a[j];
      aj.length = ctl[NARGS];
      for (let i = 0; i < aj.length; i++) aj[i] = argv[j * MAX_ARGS + i];
      if (ctl[PER_ARG] >= 0) aj[ctl[PER_ARG]] += id * ctl[PER_STRIDE];
    }
    const fn = fns[ctl[ARENA]][ctl[KERNEL]];
    // A trap must still count as done, or the dispatching thread would wait forever; it sees FAILED.
    try { takeChunks(ctl, ctl[N], (r0, r1, j) => fn(...a[j], r0, r1)); } catch { Atomics.store(ctl, FAILED, 1); }
    Atomics.add(ctl, DONE, 1);
    Atomics.notify(ctl, DONE);
  }
};
