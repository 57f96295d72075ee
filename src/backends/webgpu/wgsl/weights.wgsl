// Shared by every kernel that reads a weight part (layout.ts): the part is bound as `w`
// (array<vec4<u32>>); a format file decodes one 32-value block of a row into a Blk (named
// fields, not an array: a software rasteriser spills dynamically indexed arrays to memory).

struct Blk { v0: vec4<f32>, v1: vec4<f32>, v2: vec4<f32>, v3: vec4<f32>, v4: vec4<f32>, v5: vec4<f32>, v6: vec4<f32>, v7: vec4<f32>, sc: u32 }

// Word i of the part (scales live at word granularity).
fn wword(i: u32) -> u32 { return w[i >> 2u][i & 3u]; }
