// Every id the API hands out (chatcmpl-, cmpl-, call_, resp_, msg_, rs_, fc_) is made here, so that
// one change reaches them all: `setIdTag` embeds a tag (a replica's name, say) after the prefix, which
// lets a router send `GET /v1/responses/{id}` or a `previous_response_id` back to the replica that
// stored it. 96 random bits each: unique without coordination.

let tag = '';

/** Sets the tag embedded in every later id (letters and digits; '' for none). */
export function setIdTag(t: string): void {
  if (!/^[A-Za-z0-9]*$/.test(t)) throw new Error(`an id tag must be letters and digits, got ${JSON.stringify(t)}`);
  tag = t;
}

/** `prefix` + tag + 24 random hex digits. */
export function newId(prefix: string): string {
  const b = crypto.getRandomValues(new Uint8Array(12));
  return prefix + tag + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
