// The model's weights as backend tensors, grouped the way forward() reads them.
import type { Tensor } from '../backends/backend.ts';
import type { ModelConfig } from '../model/types.ts';

export interface MoeWeights {
  router: Tensor; routerBias: Tensor; //   [E, H], [E]
  gateUp: Tensor; gateUpBias: Tensor; //   [E, 2I, H] rows interleaved gate/up (spec §3.4), [E, 2I]
  down: Tensor; downBias: Tensor; //       [E, H, I], [E, H]
}

export interface LayerWeights {
  attnNorm: Tensor; //                 [H]
  q: Tensor; qBias: Tensor; //         [nq·d, H], [nq·d]
  k: Tensor; kBias: Tensor; //         [nkv·d, H], [nkv·d]
  v: Tensor; vBias: Tensor; //         [nkv·d, H], [nkv·d]
  o: Tensor; oBias: Tensor; //         [H, nq·d], [H]
  sinks: Tensor; //                    [nq]
  mlpNorm: Tensor; //                  [H]
  moe: MoeWeights;
  window: number; //                   keys visible on this layer; 0 = full causal (spec §1.4)
}

export interface Weights {
  embed: Tensor; //                    [V, H]
  layers: LayerWeights[];
  finalNorm: Tensor; //                [H]
  unembed: Tensor; //                  [V, H]
}

export function bindWeights(c: ModelConfig, t: Map<string, Tensor>): Weights {
  const get = (n: string) => {
    const x = t.get(n);
    if (!x) throw new Error(`weight ${n} missing after upload`);
    return x;
  };
  return {
    embed: get('embed'),
    finalNorm: get('final_norm'),
    unembed: get('unembed'),
    layers: c.layerTypes.map((type, n) => {
      const p = `layers.${n}.`;
      return {
        attnNorm: get(p + 'attn_norm'),
        q: get(p + 'attn_q'), qBias: get(p + 'attn_q_bias'),
        k: get(p + 'attn_k'), kBias: get(p + 'attn_k_bias'),
        v: get(p + 'attn_v'), vBias: get(p + 'attn_v_bias'),
        o: get(p + 'attn_o'), oBias: get(p + 'attn_o_bias'),
        sinks: get(p + 'attn_sinks'),
        mlpNorm: get(p + 'mlp_norm'),
        moe: {
          router: get(p + 'router'), routerBias: get(p + 'router_bias'),
          gateUp: get(p + 'experts_gate_up'), gateUpBias: get(p + 'experts_gate_up_bias'),
          down: get(p + 'experts_down'), downBias: get(p + 'experts_down_bias'),
        },
        window: type === 'sliding_attention' ? c.slidingWindow : 0,
      };
    }),
  };
}
