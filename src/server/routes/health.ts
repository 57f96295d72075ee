// GET /health: 503 with the load progress while the model loads (or after it failed), 200 once it
// serves, with the slot and queue occupancy.
import type { Context } from 'hono';
import type { ModelHost } from '../host.ts';

export function health(host: ModelHost) {
  return function health(c: Context): Response {
    const served = host.served;
    if (served) {
      const s = served.scheduler;
      return c.json({ status: 'ok', model: served.model.id, demo: served.model.demo, slots: { total: s.slots, busy: s.busy }, queue: s.queued });
    }
    const p = host.progress;
    const progress = p && { bytes: p.bytes, total_bytes: p.totalBytes, tensors: p.tensors, total_tensors: p.totalTensors, fraction: p.totalBytes ? p.bytes / p.totalBytes : 0 };
    const error = host.unavailable();
    for (const [k, v] of Object.entries(error.headers)) c.header(k, v);
    return c.json({ status: host.status, progress, ...error.body() }, 503);
  };
}
