// What the engine holds of a backend's memory: opaque handles, each backend's own objects.

/** A weight tensor placed in backend memory (opaque to the engine). */
export interface Tensor { readonly name: string; readonly shape: readonly number[] }
/** An activation buffer of `rows` × `cols` f32, allocated once at load. */
export interface Buf { readonly rows: number; readonly cols: number }
/** Per-layer K/V for one session; sliding layers may hold only their window (spec §4.5.6). */
export interface KvCache { readonly context: number }
/** The K/V of a cache's first `length` positions, copied aside (a prompt cache entry). */
export interface KvSnapshot { readonly length: number; readonly bytes: number }
