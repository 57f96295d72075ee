// Lenient parsing of a message header (the text between <|start|> and <|message|>), spec §6.9
// step 2, extended for the deviations models produce (spec §9 item 17): recipient in the role
// position, duplicated or junk-laden <|channel|> markers, a content type without <|constrain|>.
// Never throws: what cannot be placed is reported in `junk`.
import { ROLES, type HarmonyMessage, type Role } from './types.ts';

export interface Header extends Omit<HarmonyMessage, 'content'> {
  /** Header words that fit nowhere (a strict parser would reject the message). */
  junk: string[];
}

const CHANNEL = '<|channel|>';
const CONSTRAIN = '<|constrain|>';
const isRole = (s: string | undefined): s is Role => (ROLES as readonly string[]).includes(s ?? '');

/** `text` may still contain special-token text (`<|channel|>`, `<|constrain|>`). */
export function parseHeader(text: string, knownRole: Role | null): Header {
  const junk: string[] = [];
  // Every <|channel|>X is cut out; the first X is the channel, later different ones are junk.
  let channel: string | undefined;
  for (let at = text.indexOf(CHANNEL); at >= 0; at = text.indexOf(CHANNEL)) {
    const after = text.slice(at + CHANNEL.length);
    const end = after.search(/[\s<]/);
    const value = end < 0 ? after : after.slice(0, end);
    if (channel === undefined && value) channel = value;
    else if (value && value !== channel) junk.push(value);
    text = `${text.slice(0, at)} ${end < 0 ? '' : after.slice(end)}`;
  }
  const parts = text.replaceAll(CONSTRAIN, ` ${CONSTRAIN}`).split(/[ \t\n\f\r]+/).filter(Boolean);

  let role: Role;
  let name: string | undefined;
  let recipient: string | undefined;
  if (isRole(parts[0])) role = parts.shift() as Role;
  else if (knownRole) role = knownRole;
  else if (!parts[0] || parts[0].startsWith('to=')) role = 'assistant';
  else if (parts.slice(1).some((p) => p.startsWith('to='))) [role, name] = ['tool', parts.shift()]; // `browser.search to=assistant`
  else [role, recipient] = ['assistant', parts.shift()]; // recipient in the role position
  if (knownRole && parts[0] === knownRole) parts.shift();

  let contentType: string | undefined;
  parts.forEach((p, i) => {
    if (p.startsWith('to=') && recipient === undefined) recipient = p.slice(3);
    else if (p.startsWith(CONSTRAIN) && contentType === undefined) contentType = p;
    else if (i === parts.length - 1 && contentType === undefined && !p.startsWith('to=')) contentType = p; // `json`, `code`
    else junk.push(p);
  });
  if (recipient === 'all' || recipient === '') recipient = undefined;
  return { role, ...(name && { name }), ...(recipient && { recipient }), ...(channel && { channel }), ...(contentType && { contentType }), junk };
}
