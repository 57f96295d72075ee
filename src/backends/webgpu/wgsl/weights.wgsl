// Shared by every kernel that reads a weight part (layout.ts): the part is bound as `w`
// (array<vec4<u32>>); a format file decodes one 32-value block of a row into `wv`.

var<private> wv: array<vec4<f32>, 8>;

// Word i of the part (scales live at word granularity).
fn wword(i: u32) -> u32 { return w[i >> 2u][i & 3u]; }
