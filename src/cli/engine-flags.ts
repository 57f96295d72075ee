// The engine's flags, shared by `serve` and `eval`: parsed into the one options type
// (backends/options.ts), help text derived from its defaults and precision table.
import { BACKEND_CHOICES, ENGINE_DEFAULTS, MAX_THREADS, precisionHelp, type BackendChoice, type EngineOptions } from '../backends/options.ts';
import { int, str, UsageError, type Parsed } from './args.ts';

export const ENGINE_FLAGS = ['backend', 'precision', 'threads', 'dense-q8', 'ctx', 'batch', 'arena-bytes'] as const;

/** The flags' help lines; `defaults` overrides what a command uses instead of the engine default. */
export function engineHelp(defaults: Partial<Record<'backend' | 'ctx' | 'precision', string>> = {}): string {
  const d = ENGINE_DEFAULTS;
  return [
    `  --backend B         ${BACKEND_CHOICES.join(' | ')} (default ${defaults.backend ?? d.backend}; auto: WebGPU on a hardware GPU, else the CPU)`,
    `  --precision P       fast | exact (default ${defaults.precision ?? d.precision}):`,
    precisionHelp('                        '),
    `  --threads N         CPU threads, 1 to ${MAX_THREADS} (default: all cores, at most ${MAX_THREADS}; ${d.threads} here)`,
    `  --dense-q8          re-quantise bf16/f16/f32 weight matrices to Q8_0 at load (HF checkpoints: ~30 % fewer bytes per token; CPU and WebGPU)`,
    `  --ctx N             context length per session (default ${defaults.ctx ?? d.context})`,
    `  --batch N           tokens per forward pass when prefilling (default ${d.maxBatch})`,
    `  --arena-bytes N     largest CPU weight arena / GPU weight buffer in bytes (default: each backend's own limit; tests force it small)`,
  ].join('\n');
}

/** The engine flags present in `a`; absent ones stay undefined (the defaults apply once, later). */
export function engineFlags(a: Parsed): Partial<EngineOptions> {
  const o: Partial<EngineOptions> = {};
  const positive = (name: string, min = 1, max = Infinity) => {
    const n = int(a, name, min);
    if (n < min) throw new UsageError(`--${name} must be at least ${min}, got ${n}`);
    if (n > max) throw new UsageError(`--${name} must be at most ${max}, got ${n}`);
    return n;
  };
  if (a.flags.has('backend')) {
    const b = str(a, 'backend');
    if (!BACKEND_CHOICES.includes(b as BackendChoice)) throw new UsageError(`--backend must be ${BACKEND_CHOICES.join(', ')}, got ${b}`);
    o.backend = b as BackendChoice;
  }
  if (a.flags.has('precision')) {
    const p = str(a, 'precision');
    if (p !== 'fast' && p !== 'exact') throw new UsageError(`--precision must be fast or exact, got ${p}`);
    o.precision = p;
  }
  if (a.flags.has('threads')) o.threads = positive('threads', 1, MAX_THREADS);
  if (a.flags.get('dense-q8') === true) o.denseQ8 = true;
  else if (a.flags.has('dense-q8')) throw new UsageError('--dense-q8 takes no value');
  if (a.flags.has('ctx')) o.context = positive('ctx', 2);
  if (a.flags.has('batch')) o.maxBatch = positive('batch');
  if (a.flags.has('arena-bytes')) o.arenaBytes = positive('arena-bytes', 4096);
  return o;
}
