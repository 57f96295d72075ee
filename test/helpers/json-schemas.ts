// Builders for the JSON Schemas the structured-output tests send (chat completions and Responses).
export type Schema = Record<string, unknown>;
/** A strict object: every property required unless `required` says otherwise, nothing else allowed. */
export const obj = (properties: Record<string, Schema>, required = Object.keys(properties)): Schema => ({ type: 'object', properties, required, additionalProperties: false });
export const str = { type: 'string' }, int = { type: 'integer' }, num = { type: 'number' }, bool = { type: 'boolean' };
