// Every rendered-prompt fixture of openai/harmony v0.0.8 (../shared/harmony-fixtures), reproduced
// text-exact and token-exact from the conversation behind it (the conversations are those of the
// harmony library's own tests; the fixture text is the authority).
import { describe, expect, test } from 'bun:test';
import {
  BROWSER_TOOL, PYTHON_TOOL, renderConversation, renderForCompletion, systemContent,
  type DeveloperContent, type HarmonyMessage, type ReasoningEffort,
} from '../src/harmony/index.ts';
import { o200kHarmony } from '../src/tokenizer/index.ts';
import { expectRendersAs } from './fixtures/tokenizer/harmony-fixtures.ts';

const tok = o200kHarmony();
const expectFixture = (name: string, ids: number[]) => expectRendersAs(tok, name, ids);

const sys = (fields: Parameters<typeof systemContent>[0] = {}): HarmonyMessage => ({ role: 'system', content: systemContent(fields) });
const dev = (fields: Omit<DeveloperContent, 'type'>): HarmonyMessage => ({ role: 'developer', content: { type: 'developer', ...fields } });
const user = (content: string): HarmonyMessage => ({ role: 'user', content });
const assistant = (channel: string, content: string): HarmonyMessage => ({ role: 'assistant', channel, content });
const analysisFinal = (analysis: string) => [
  user('What is 2 + 2?'),
  assistant('analysis', analysis),
  assistant('final', '2 + 2 equals 4.'),
  user('What about 9 / 2?'),
];

describe('harmony fixtures', () => {
  test('test_simple_convo', () => {
    expectFixture('test_simple_convo', renderForCompletion(tok, [sys(), user('What is 2 + 2?')]));
  });

  const efforts: ReasoningEffort[] = ['low', 'medium', 'high'];
  for (const effort of efforts) {
    for (const withInstructions of [true, false]) {
      const name = `test_simple_convo_${effort}_effort${withInstructions ? '' : '_no_instruction'}`;
      test(name, () => {
        const messages = [sys({ reasoningEffort: effort })];
        if (withInstructions) messages.push(dev({ instructions: "Answer the user's questions like a robot." }));
        messages.push(user('What is the capital of the largest country in the world?'));
        expectFixture(name, renderForCompletion(tok, messages));
      });
    }
  }

  const twoChannels = { valid: ['analysis', 'final'], required: true };
  test('test_reasoning_system_message', () => {
    expectFixture('test_reasoning_system_message', renderForCompletion(tok, [sys({ channels: twoChannels }), user('What is 2 + 2?')]));
  });
  test('test_reasoning_system_message_no_instruction', () => {
    const messages = [sys({ reasoningEffort: 'high', channels: twoChannels }), user('What is the best place to eat candy in the world?')];
    expectFixture('test_reasoning_system_message_no_instruction', renderForCompletion(tok, messages));
  });
  test('test_reasoning_system_message_with_dates', () => {
    const s = sys({ channels: twoChannels, currentDate: '2021-01-01', knowledgeCutoff: '2021-01' });
    expectFixture('test_reasoning_system_message_with_dates', renderForCompletion(tok, [s, user('What is 42 * pi?')]));
  });

  test('test_no_tools', () => {
    expectFixture('test_no_tools', renderForCompletion(tok, [sys({ currentDate: '2025-06-28' })]));
  });
  test('test_browser_tool_only', () => {
    expectFixture('test_browser_tool_only', renderForCompletion(tok, [sys({ currentDate: '2025-06-28', tools: [BROWSER_TOOL] })]));
  });
  test('test_browser_and_python_tool (namespaces ordered by name)', () => {
    const s = sys({ currentDate: '2025-06-28', tools: [PYTHON_TOOL, BROWSER_TOOL] });
    expectFixture('test_browser_and_python_tool', renderForCompletion(tok, [s]));
  });
  test('test_browser_and_function_tool', () => {
    const lookup = {
      name: 'lookup_weather',
      description: "Use this tool to lookup the weather in a given location. Call it with the parameter 'location', can be any textual description of a location.",
      parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
    };
    const messages = [sys({ currentDate: '2025-06-28', tools: [BROWSER_TOOL] }), dev({ tools: [{ name: 'functions', tools: [lookup] }] })];
    expectFixture('test_browser_and_function_tool', renderForCompletion(tok, messages));
  });

  test('test_dropping_cot_by_default', () => {
    const messages = analysisFinal('User asks: “What is 2 + 2?” Simple arithmetic. Provide answer.');
    expectFixture('test_dropping_cot_by_default', renderForCompletion(tok, messages, { autoDropAnalysis: true }));
  });
  test('test_preserve_cot', () => {
    const messages = analysisFinal('User asks a simple question: "What is 2 + 2?" The answer: 4.');
    expectFixture('test_preserve_cot', renderForCompletion(tok, messages, { autoDropAnalysis: false }));
  });
  test('test_keep_analysis_between_finals (no completion header)', () => {
    const messages = [
      user('What is 2 + 2?'), assistant('final', '4'),
      user('What is 3 + 5?'), assistant('analysis', 'thinking 3+5'), assistant('final', '8'),
    ];
    expectFixture('test_keep_analysis_between_finals', renderConversation(tok, messages, { autoDropAnalysis: true }));
  });
  test('test_does_not_drop_if_ongoing_analysis (tool call: recipient first, <|constrain|> by id)', () => {
    const messages: HarmonyMessage[] = [
      user('What is the weather in SF?'),
      assistant('analysis', 'User asks: “What is the weather in SF?” We need to use lookup_weather tool.'),
      { role: 'assistant', channel: 'commentary', recipient: 'functions.lookup_weather', contentType: '<|constrain|>json', content: '{"location": "San Francisco"}' },
      { role: 'tool', name: 'functions.lookup_weather', content: '{"temperature": 20, "description": "sunny"}' },
    ];
    const ids = renderForCompletion(tok, messages, { autoDropAnalysis: true });
    expectFixture('test_does_not_drop_if_ongoing_analysis', ids);
    expect(ids).toContain(tok.special.constrain);
    expect(ids).toContain(tok.special.call);
  });
});
