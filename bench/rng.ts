/** Deterministic PRNG for benchmark prompts and test data (the sampler's, src/generate/rng.ts). */
export { seededRandom as rng } from '../src/generate/rng.ts';
