// The text of system and developer message content (spec §6.3, §6.4): sections joined by a blank
// line, in the order and wording of the harmony library.
import { toolsSection } from './tools-section.ts';
import type { DeveloperContent, ReasoningEffort, SystemContent } from './types.ts';

export const DEFAULT_IDENTITY = 'You are ChatGPT, a large language model trained by OpenAI.';
export const DEFAULT_KNOWLEDGE_CUTOFF = '2024-06';
export const DEFAULT_CHANNELS = ['analysis', 'commentary', 'final'];

/** harmony's SystemContent::new(): identity, cutoff 2024-06, medium effort, the 3 channels required. */
export function systemContent(fields: Partial<Omit<SystemContent, 'type'>> = {}): SystemContent {
  return {
    type: 'system',
    modelIdentity: DEFAULT_IDENTITY,
    knowledgeCutoff: DEFAULT_KNOWLEDGE_CUTOFF,
    reasoningEffort: 'medium' as ReasoningEffort,
    channels: { valid: DEFAULT_CHANNELS, required: true },
    ...fields,
  };
}

/** `hasFunctionTools`: some developer message declares `functions` tools (adds the routing line). */
export function systemText(s: SystemContent, hasFunctionTools: boolean): string {
  const sections: string[] = [];
  const identity = [
    s.modelIdentity,
    s.knowledgeCutoff && `Knowledge cutoff: ${s.knowledgeCutoff}`,
    s.currentDate && `Current date: ${s.currentDate}`,
  ].filter((l): l is string => !!l);
  if (identity.length) sections.push(identity.join('\n'));
  if (s.reasoningEffort) sections.push(`Reasoning: ${s.reasoningEffort}`);
  if (s.tools?.length) sections.push(toolsSection(s.tools));
  if (s.channels?.valid.length) {
    let line = `# Valid channels: ${s.channels.valid.join(', ')}.`;
    if (s.channels.required) line += ' Channel must be included for every message.';
    if (hasFunctionTools) line += "\nCalls to these tools must go to the commentary channel: 'functions'.";
    sections.push(line);
  }
  return sections.join('\n\n');
}

export function developerText(d: DeveloperContent): string {
  const sections: string[] = [];
  if (d.instructions !== undefined) sections.push('# Instructions', d.instructions);
  if (d.tools?.length) sections.push(toolsSection(d.tools));
  if (d.responseFormat) {
    const f = d.responseFormat;
    const desc = f.description ? `// ${f.description}\n` : '';
    sections.push(`# Response Formats\n\n## ${f.name}\n\n${desc}${JSON.stringify(f.schema)}`);
  }
  return sections.join('\n\n');
}

export function declaresFunctionTools(d: DeveloperContent): boolean {
  return d.tools?.some((ns) => ns.name === 'functions' && ns.tools.length > 0) ?? false;
}
