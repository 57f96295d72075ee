// The `# Tools` section shared by the system message (built-in tools) and the developer message
// (function tools), spec §6.4/§6.7: one `## name` block per namespace, ordered by name.
import { schemaToTs } from './schema-ts.ts';
import type { ToolNamespace } from './types.ts';

/** Rust's str::lines(): split on \n, drop one trailing empty line and a \r before each \n. */
export function lines(text: string): string[] {
  if (text === '') return [];
  const out = text.split('\n');
  if (out.at(-1) === '') out.pop();
  return out.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

function namespaceBlock(ns: ToolNamespace): string {
  const parts = [`## ${ns.name}\n`];
  const hasTools = ns.tools.length > 0;
  // A namespace with tools comments its description; one without (python) gives it as prose.
  for (const line of lines(ns.description ?? '')) parts.push(hasTools ? `// ${line}` : line);
  if (hasTools) {
    parts.push(`namespace ${ns.name} {\n`);
    for (const tool of ns.tools) {
      for (const line of lines(tool.description)) parts.push(`// ${line}`);
      const args = tool.parameters === undefined ? '' : `_: ${schemaToTs(tool.parameters)}`;
      parts.push(`type ${tool.name} = (${args}) => any;\n`);
    }
    parts.push(`} // namespace ${ns.name}`);
  }
  return parts.join('\n');
}

export function toolsSection(namespaces: ToolNamespace[]): string {
  const sorted = [...namespaces].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return ['# Tools', ...sorted.map(namespaceBlock)].join('\n\n');
}
