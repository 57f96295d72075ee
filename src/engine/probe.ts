// The first forward pass, run once at load (one token). Float weights are checked for NaN and
// infinity while they stream in (model/finite.ts) and MXFP4 scales for the NaN byte, but finite
// values can still overflow (an absurd scale, norm weight or eps): logits that are NaN or infinite
// mean a damaged checkpoint, refused at load instead of served.
import { sourceOf } from '../model/records.ts';
import { ModelLoadError } from '../model/types.ts';
import type { Backend } from '../backends/backend.ts';
import type { Checkpoint } from '../model/types.ts';
import type { Tap } from './forward.ts';

/** What the probe uses of a loaded engine (engine.ts calls it before handing the engine out). */
interface Probed {
  readonly backend: Backend;
  readonly checkpoint: Checkpoint;
  newSession(context: number): { eval(ids: number[], want?: 'last', tap?: Tap): Promise<Float32Array> };
}

/** Any id works (every row of a finite embedding is finite); 0 exists in every vocabulary. */
const PROBE_TOKEN = 0;

/** The weights each step forward() taps reads last (its canonical names without `layers.N.`). */
const FEEDS: Record<string, string[]> = {
  embed: ['embed'], attn_norm: ['attn_norm'], q_rope: ['attn_q', 'attn_q_bias'], k_rope: ['attn_k', 'attn_k_bias'],
  attn: ['attn_v', 'attn_v_bias', 'attn_sinks'], attn_out: ['attn_o', 'attn_o_bias'], mlp_norm: ['mlp_norm'],
  moe_logits: ['router', 'router_bias'], moe_topk: [], moe_weights: [], moe_gate_up: ['experts_gate_up', 'experts_gate_up_bias'],
  moe_swiglu: [], moe_down: ['experts_down', 'experts_down_bias'], moe_out: [],
  residual: [], final_norm: ['final_norm'], logits: ['unembed'],
};

function nonFinite(a: Float32Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) n++;
  return n;
}

/** Throws a ModelLoadError naming the file and the first step (and its weights) whose output is not finite. */
export async function probeFirstPass(m: Probed): Promise<void> {
  const logits = await m.newSession(1).eval([PROBE_TOKEN]);
  const bad = nonFinite(logits);
  if (bad === 0) return;
  // Deterministic, so a second pass with taps finds where it starts (only on this failure path:
  // a tap read costs a round trip on a GPU).
  const reads: { name: string; layer: number; data: Promise<Float32Array> }[] = [];
  const tap: Tap = (name, layer, t, B) => reads.push({ name, layer, data: m.backend.read(t, B) });
  await m.newSession(1).eval([PROBE_TOKEN], 'last', tap);
  let step = { name: 'logits', layer: -1 };
  for (const r of reads) {
    if (nonFinite(await r.data) > 0) { step = r; break; }
  }
  const weights = FEEDS[step.name].map((w) => (step.layer >= 0 ? `layers.${step.layer}.${w}` : w));
  const named = weights.map((w) => m.checkpoint.tensors.get(w)).filter((r) => r !== undefined);
  const first = named.length ? sourceOf(named[0])?.tensor ?? named[0].name : null;
  const where = `${step.layer >= 0 ? `layer ${step.layer} ` : ''}${step.name}`;
  throw new ModelLoadError(m.checkpoint.path, first,
    `the first forward pass (token ${PROBE_TOKEN}) gives ${bad} of ${logits.length} logits NaN or infinite: the checkpoint is damaged ` +
    `(every weight is finite, so values overflow: first non-finite output at ${where}${weights.length ? `, computed from ${weights.join(', ')}` : ''})`);
}
