// Every id the API hands out (chatcmpl-, cmpl-, call_, resp_, msg_, rs_, fc_) is made here, so that
// one change reaches them all: `setIdTag` embeds a tag (a replica's name: `serve --replica-id`)
// after the prefix, then `_`, which lets a router (deploy/affinity.js) send `GET /v1/responses/{id}`
// or a `previous_response_id` back to the replica that stored it: `resp_r1_<hex>`. The `_` is what
// makes the tag readable back (`resp_ab12…` could be tag `ab` or none). 96 random bits each: unique
// without coordination.

/** A tag: letters and digits (so `_` ends it), at most 32. */
export const ID_TAG = /^[A-Za-z0-9]{1,32}$/;

let tag = '';

/** Sets the tag embedded in every later id (letters and digits; '' for none). */
export function setIdTag(t: string): void {
  if (t !== '' && !ID_TAG.test(t)) throw new Error(`an id tag must be 1 to 32 letters and digits, got ${JSON.stringify(t)}`);
  tag = t;
}

/** `prefix` + (`tag_` once a tag is set) + 24 random hex digits. */
export function newId(prefix: string): string {
  const b = crypto.getRandomValues(new Uint8Array(12));
  return prefix + (tag ? `${tag}_` : '') + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
