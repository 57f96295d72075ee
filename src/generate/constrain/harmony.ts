// Steers one harmony reply (spec §6.5, §6.6) along an OutputPlan. Reasoning stays free text; the
// structure around it is enforced:
// - a header is either chosen for the model among the plan's (analysis while the budget lasts, the
//   final answer, a call to each allowed function, in the model's and the renderer's order) — the
//   mask allows the next token of some option and a run all options share is forced — or, when
//   nothing requires structure, only watched and parsed as the parser would (header.ts);
// - analysis content may hold any ordinary token and ends with <|end|>; once the budget is used up
//   (or, when an answer is required, the room left is what the answer needs) `<|end|><|start|>
//   assistant` and the answer's header are forced (they enter the K/V cache);
// - a JSON answer or tool arguments follow their grammar, then only <|return|> resp. <|call|>;
//   near the end of the room the document is steered to close (json-closing.ts);
// - a free final answer ends with <|return|>.
import { assistantStartIds, modelHeaderIds, parseHeader, renderedHeaderIds, type Role } from '../../harmony/index.ts';
import type { Tokenizer } from '../../tokenizer/index.ts';
import { TokenChoice } from './choice.ts';
import { allowOnly, forbid, type Constraint } from './constraint.ts';
import { JsonCloser } from './json-closing.ts';
import { JsonMatcher, type CompiledJson } from './json-grammar.ts';
import type { OutputPlan } from './plan.ts';

type Target =
  | { kind: 'analysis' }
  | { kind: 'final'; grammar: CompiledJson | null }
  | { kind: 'tool'; grammar: CompiledJson | null }
  | { kind: 'free' }; // watched content the plan does not shape (a preamble, an unknown recipient)

type Phase =
  | { at: 'choose'; choice: TokenChoice<Target> }
  | { at: 'watch'; ids: number[]; role: Role | null } // a header the model writes freely
  | { at: 'content'; target: Target; json: { matcher: JsonMatcher; closer: JsonCloser } | null }
  | { at: 'open'; done: number } //  forcing `<|start|>assistant` after <|end|>
  | { at: 'between' } //             watched: waiting for <|start|>
  | { at: 'over' };

/** As parse.ts: a header longer than this, or with a newline, was really a bare answer. */
const MAX_HEADER_TOKENS = 48;
/** Room kept for a required answer: reasoning that reaches it is closed (header included). */
const ANSWER_ROOM = 96;

export class HarmonyConstraint implements Constraint {
  #phase: Phase;
  /** Analysis tokens so far. */
  reasoningTokens = 0;
  /** Reasoning was closed to leave room for a required answer. */
  #closedEarly = false;
  readonly #sp: Tokenizer['special'];
  readonly #start: number[];
  readonly #specials: number[];

  constructor(private readonly tok: Tokenizer, private readonly plan: OutputPlan) {
    this.#sp = tok.special;
    this.#start = assistantStartIds(tok);
    this.#specials = specialIds(tok);
    this.#phase = this.#choosing() ? this.#choose() : { at: 'watch', ids: [], role: 'assistant' };
  }

  forced(room: number): readonly number[] | null {
    const p = this.#phase;
    if (p.at === 'open') return this.#start.slice(p.done);
    if (p.at === 'choose') {
      const run = p.choice.forced();
      return run.length ? run : null;
    }
    if (p.at === 'content' && p.target.kind === 'analysis') {
      if (this.#budgetSpent()) return [this.#sp.end];
      if (this.plan.strict && room <= ANSWER_ROOM) {
        this.#closedEarly = true;
        return [this.#sp.end];
      }
    }
    return null;
  }

  async mask(logits: Float32Array, limit: number, room: number): Promise<void> {
    const p = this.#phase, sp = this.#sp;
    if (p.at === 'choose') return allowOnly(logits, limit, p.choice.allowed());
    if (p.at !== 'content') return;
    const t = p.target;
    if ((t.kind === 'final' || t.kind === 'tool') && t.grammar) {
      p.json ??= { matcher: await JsonMatcher.create(t.grammar, t.kind === 'final' ? sp.return : sp.call), closer: new JsonCloser(this.tok) };
      await p.json.matcher.mask(logits, limit);
      // The terminator needs a token of its own after the document.
      if (room - 1 <= p.json.closer.reserve()) p.json.closer.narrow(logits, limit);
      return;
    }
    if (!this.#choosing()) return; // watched: the model writes as it likes
    // Chosen structure: ordinary text, and only the control token that ends this message.
    const end = t.kind === 'analysis' ? sp.end : t.kind === 'tool' ? sp.call : sp.return;
    forbid(logits, limit, this.#specials.filter((id) => id !== end));
  }

  accept(id: number): void {
    const p = this.#phase, sp = this.#sp;
    switch (p.at) {
      case 'choose': {
        if (!p.choice.accept(id)) throw new Error(`token ${id} is not allowed in this header`);
        const target = p.choice.chosen;
        if (target) this.#phase = { at: 'content', target, json: null };
        return;
      }
      case 'open':
        if (id !== this.#start[p.done]) throw new Error(`token ${id} is not the forced <|start|>assistant`);
        if (++p.done === this.#start.length) this.#phase = this.#choose();
        return;
      case 'watch':
        return this.#watchHeader(p, id);
      case 'between':
        if (id === sp.start) this.#phase = { at: 'watch', ids: [], role: null };
        else if (id === sp.return || id === sp.call || id === sp.endoftext) this.#phase = { at: 'over' };
        else if (id !== sp.end) { // the model skipped `<|start|>assistant` (parse.ts does the same)
          const watch: Extract<Phase, { at: 'watch' }> = { at: 'watch', ids: [], role: 'assistant' };
          this.#phase = watch;
          this.#watchHeader(watch, id);
        }
        return;
      case 'content':
        return this.#content(p, id);
      case 'over':
    }
  }

  close(): void {
    if (this.#phase.at === 'content') this.#phase.json?.matcher.close();
    this.#phase = { at: 'over' };
  }

  #content(p: Extract<Phase, { at: 'content' }>, id: number): void {
    const sp = this.#sp;
    if (p.json) {
      if (!p.json.matcher.accept(id)) throw new Error(`token ${id} does not continue the JSON document`);
      p.json.closer.push(id);
      if (p.json.matcher.done) this.close();
      return;
    }
    if (id === sp.end) {
      this.#phase = this.#choosing() ? { at: 'open', done: 0 } : { at: 'between' };
    } else if (id === sp.return || id === sp.call || id === sp.endoftext) {
      this.#phase = { at: 'over' };
    } else if (id === sp.start || id === sp.channel) {
      this.#phase = { at: 'watch', ids: id === sp.channel ? [id] : [], role: id === sp.channel ? 'assistant' : null }; // cut short (parse.ts)
    } else if (p.target.kind === 'analysis' && !this.tok.isSpecial(id)) {
      this.reasoningTokens++;
    }
  }

  /** A header the model writes: parsed on <|message|> as the parser does; a known function gets its grammar. */
  #watchHeader(p: Extract<Phase, { at: 'watch' }>, id: number): void {
    const sp = this.#sp;
    if (id === sp.message) {
      const h = parseHeader(this.tok.decode(p.ids), p.role);
      const fn = h.recipient?.startsWith('functions.') ? h.recipient.slice('functions.'.length) : null;
      const tool = fn === null ? undefined : this.plan.tools.find((t) => t.name === fn);
      const target: Target = h.role !== 'assistant' ? { kind: 'free' }
        : h.recipient ? (tool ? { kind: 'tool', grammar: tool.grammar } : { kind: 'free' })
        : h.channel === 'analysis' ? { kind: 'analysis' }
        : h.channel === 'final' || h.channel === undefined ? { kind: 'final', grammar: null } : { kind: 'free' };
      this.#phase = { at: 'content', target, json: null };
    } else if (id === sp.end) {
      this.#phase = { at: 'between' };
    } else if (id === sp.return || id === sp.call || id === sp.endoftext) {
      this.#phase = { at: 'over' };
    } else if (id === sp.start) {
      this.#phase = { at: 'watch', ids: [], role: null };
    } else {
      p.ids.push(id);
      const newline = !this.tok.isSpecial(id) && this.tok.tokenBytes(id).includes(0x0a);
      if (p.ids.length > MAX_HEADER_TOKENS || newline) this.#phase = { at: 'content', target: { kind: 'free' }, json: null };
    }
  }

  #budgetSpent(): boolean {
    const b = this.plan.reasoningBudget;
    return this.#closedEarly || (b >= 0 && this.reasoningTokens >= b);
  }

  /** Headers are chosen once structure is required or the reasoning is over. */
  #choosing(): boolean {
    return this.plan.strict || this.#budgetSpent();
  }

  #choose(): Phase {
    const options: Array<{ ids: number[]; value: Target }> = [];
    const header = (channel: string, value: Target) => options.push({ ids: modelHeaderIds(this.tok, { channel }), value });
    if (!this.#budgetSpent()) header('analysis', { kind: 'analysis' });
    if (this.plan.final) header('final', { kind: 'final', grammar: this.plan.final.grammar });
    for (const t of this.plan.tools) {
      const h = { channel: 'commentary', recipient: `functions.${t.name}` };
      const value: Target = { kind: 'tool', grammar: t.grammar };
      options.push({ ids: modelHeaderIds(this.tok, h), value }, { ids: renderedHeaderIds(this.tok, h), value });
    }
    return { at: 'choose', choice: new TokenChoice(options) };
  }
}

const specialsOf = new WeakMap<Tokenizer, number[]>();

/** Every control or reserved id of the vocabulary. */
function specialIds(tok: Tokenizer): number[] {
  let ids = specialsOf.get(tok);
  if (!ids) {
    ids = [];
    for (let id = 0; id < tok.vocabSize; id++) if (tok.isSpecial(id)) ids.push(id);
    specialsOf.set(tok, ids);
  }
  return ids;
}
