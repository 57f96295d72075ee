// One request's sampler: pure given its seed and the logits it is shown. Order of operations:
// logit_bias and penalties → temperature (0 = argmax, lowest id on ties) → top_k → top_p → min_p →
// one seeded draw. Log-probabilities come from the softmax of the raw logits, before any of that
// (what OpenAI's `logprobs` report). Ids ≥ `limit` (the vocabulary's padding rows) never come out.
import { argmax } from '../backends/argmax.ts';
import { seededRandom } from './rng.ts';
import { topIndices } from './top-k.ts';

export interface SamplingOptions {
  temperature?: number; //      default 1; 0 = greedy
  topP?: number; //             default 1 (off)
  topK?: number; //             default 0 (off)
  minP?: number; //             default 0 (off)
  presencePenalty?: number; //  subtracted once from every token already generated
  frequencyPenalty?: number; // subtracted per occurrence among the generated tokens
  logitBias?: ReadonlyMap<number, number>;
  seed?: number; //             default 0
  /** Report log-probabilities: the chosen token's, plus this many alternatives (0 … 20). */
  logprobs?: number;
}

export interface TokenLogprob { id: number; logprob: number }
export interface SampledToken { id: number; logprob?: number; top?: TokenLogprob[] }

/** Candidate counts tried, in turn, before sorting the whole row for top_p. */
const NUCLEUS_STEPS = [64, 1024];

export class Sampler {
  readonly #o: Required<Omit<SamplingOptions, 'logitBias' | 'logprobs'>>;
  readonly #bias: ReadonlyMap<number, number>;
  readonly #counts = new Map<number, number>();
  readonly #random: () => number;
  #x: Float32Array | null = null; // scratch for bias and penalties, made on first use
  #e: Float64Array | null = null; //  the candidates' exp((x − max)/t), made on first use

  constructor(o: SamplingOptions, readonly limit: number, readonly logprobs = o.logprobs) {
    this.#o = { temperature: 1, topP: 1, topK: 0, minP: 0, presencePenalty: 0, frequencyPenalty: 0, seed: 0, ...defined(o) };
    this.#bias = o.logitBias ?? new Map();
    this.#random = seededRandom(this.#o.seed);
  }

  /**
   * True when a token is the plain argmax of the raw logits: temperature 0, no bias, no penalties,
   * no log-probabilities. The engine may then choose it where the logits are (accept() records it).
   */
  get greedyOnly(): boolean {
    const o = this.#o;
    return o.temperature === 0 && this.#bias.size === 0 && o.presencePenalty === 0 && o.frequencyPenalty === 0 && this.logprobs === undefined;
  }

  /** A token chosen elsewhere by the greedyOnly rule, remembered as sample() remembers its own. */
  accept(id: number): SampledToken {
    this.#counts.set(id, (this.#counts.get(id) ?? 0) + 1);
    return { id };
  }

  /** Picks the next token from a row of raw logits and remembers it for the penalties. */
  sample(logits: Float32Array): SampledToken {
    const raw = logits.subarray(0, this.limit);
    const o = this.#o;
    const penalised = this.#counts.size > 0 && (o.presencePenalty !== 0 || o.frequencyPenalty !== 0);
    let x = raw;
    if (this.#bias.size > 0 || penalised) {
      x = this.#x ??= new Float32Array(this.limit);
      x.set(raw);
      for (const [id, b] of this.#bias) if (id < this.limit) x[id] += b;
      if (penalised) for (const [id, n] of this.#counts) x[id] -= o.presencePenalty + o.frequencyPenalty * n;
    }
    const id = o.temperature === 0 ? argmax(x) : this.#draw(x);
    this.#counts.set(id, (this.#counts.get(id) ?? 0) + 1);
    return this.logprobs === undefined ? { id } : { id, ...logprobsOf(raw, id, this.logprobs) };
  }

  #draw(x: Float32Array): number {
    const o = this.#o, n = x.length;
    const t = o.temperature;
    let max = -Infinity;
    for (let i = 0; i < n; i++) if (x[i] > max) max = x[i];
    // Candidates best first; null = the whole row (no sort needed).
    let cand: Int32Array | null = null;
    if (o.topK > 0 && o.topK < n) cand = topIndices(x, o.topK);
    // exp((x_i − max)/t) once per candidate: the row's mass, the nucleus and the draw all read
    // them (computing them again in the draw cost ~2 ms a token over a vocabulary row)
    const e = (this.#e ??= new Float64Array(n));
    if (cand) for (const i of cand) e[i] = Math.exp((x[i] - max) / t);
    else for (let i = 0; i < n; i++) e[i] = Math.exp((x[i] - max) / t);
    if (o.topP < 1) cand = nucleus(x, e, cand, o.topP);
    const floor = o.minP > 0 ? max + (t * Math.log(o.minP)) : -Infinity; // p_i ≥ minP·p_max
    const w = (i: number) => (x[i] >= floor ? e[i] : 0);
    let total = 0;
    if (cand) for (const i of cand) total += w(i);
    else for (let i = 0; i < n; i++) total += w(i);
    let r = this.#random() * total;
    if (cand) {
      for (const i of cand) if ((r -= w(i)) < 0) return i;
      return cand[0];
    }
    let last = argmax(x);
    for (let i = 0; i < n; i++) {
      const wi = w(i);
      if (wi > 0) { last = i; if ((r -= wi) < 0) return i; }
    }
    return last; // rounding left r ≥ 0 after the last candidate
  }
}

/**
 * The smallest best-first prefix of `cand` (or of the whole row) holding ≥ topP of the mass;
 * e[i] = exp((x_i − max)/t) of every candidate.
 */
function nucleus(x: Float32Array, e: Float64Array, cand: Int32Array | null, topP: number): Int32Array {
  const n = x.length;
  let total = 0;
  if (cand) for (const i of cand) total += e[i];
  else for (let i = 0; i < n; i++) total += e[i];
  // Without top_k, try the best 64, then 1024, before sorting the whole row.
  for (const k of cand ? [cand.length] : [...NUCLEUS_STEPS.filter((k) => k < n), n]) {
    const c = cand ?? topIndices(x, k);
    let mass = 0;
    for (let j = 0; j < c.length; j++) if ((mass += e[c[j]]) >= topP * total) return c.subarray(0, j + 1);
    if (k === n || cand) return c; // rounding kept the sum just under topP·total
  }
  return topIndices(x, n);
}

/** log softmax of the raw row at `id`, and its `top` best alternatives. */
export function logprobsOf(raw: Float32Array, id: number, top: number): { logprob: number; top: TokenLogprob[] } {
  let max = -Infinity;
  for (let i = 0; i < raw.length; i++) if (raw[i] > max) max = raw[i];
  let sum = 0;
  for (let i = 0; i < raw.length; i++) sum += Math.exp(raw[i] - max);
  const logZ = max + Math.log(sum);
  const alts = top > 0 ? Array.from(topIndices(raw, top), (i) => ({ id: i, logprob: raw[i] - logZ })) : [];
  return { logprob: raw[id] - logZ, top: alts };
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
