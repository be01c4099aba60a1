// Block Kit building blocks with Slack's limits enforced at construction (formats.md §6):
// ≤ 50 blocks a message, section text ≤ 3000, ≤ 10 fields of ≤ 2000, header ≤ 150,
// context ≤ 10 elements. Content over a limit is truncated with a marker, never rejected:
// a message Slack refuses (400 invalid_blocks) would be a lost alert.
//
// Text passed to `section`, `fields` and `context` must already be safe mrkdwn (mrkdwn.ts);
// these helpers only enforce sizes, cutting at line boundaries where they can so no
// escape sequence or code span is broken.
import { TRUNCATED, cut, plainHeader } from './mrkdwn.js';

export const LIMITS = { blocks: 50, sectionText: 3000, fields: 10, fieldText: 2000, header: 150, contextElements: 10, fallbackText: 3000 } as const;

export type TextObject = { type: 'mrkdwn'; text: string } | { type: 'plain_text'; text: string; emoji?: boolean };
export type Block =
  | { type: 'header'; text: { type: 'plain_text'; text: string; emoji: true } }
  | { type: 'section'; text?: TextObject; fields?: TextObject[] }
  | { type: 'context'; elements: TextObject[] }
  | { type: 'divider' };

/** What an incoming webhook receives. Never link_names or parse: full (attacker text). */
export interface SlackPayload {
  text: string;
  blocks: Block[];
  unfurl_links: false;
  unfurl_media: false;
}

/**
 * Cuts already-safe mrkdwn to `limit`: at the last line break that fits when there is one
 * in the second half (keeps code spans and entities whole), else at an entity-safe point.
 */
export function fitMrkdwn(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const budget = limit - TRUNCATED.length - 1;
  const nl = text.lastIndexOf('\n', budget);
  if (nl > budget / 2) return `${text.slice(0, nl)}\n${TRUNCATED}`;
  let head = cut(text, budget);
  // Do not leave half an entity (&amp; &lt; &gt;) at the end.
  const amp = head.lastIndexOf('&');
  if (amp >= 0 && amp > head.length - 5 && !head.slice(amp).includes(';')) head = head.slice(0, amp);
  // An unbalanced backtick would open a code span to the end: close it.
  if ((head.match(/`/g)?.length ?? 0) % 2 === 1) head += '`';
  return `${head} ${TRUNCATED}`;
}

export function header(text: string): Block {
  return { type: 'header', text: { type: 'plain_text', text: plainHeader(text, LIMITS.header), emoji: true } };
}

export function section(mrkdwn: string): Block {
  return { type: 'section', text: { type: 'mrkdwn', text: fitMrkdwn(mrkdwn, LIMITS.sectionText) } };
}

export function fields(items: readonly string[]): Block {
  return { type: 'section', fields: items.slice(0, LIMITS.fields).map((t) => ({ type: 'mrkdwn', text: fitMrkdwn(t, LIMITS.fieldText) })) };
}

export function context(items: readonly string[]): Block {
  return { type: 'context', elements: items.slice(0, LIMITS.contextElements).map((t) => ({ type: 'mrkdwn', text: fitMrkdwn(t, LIMITS.sectionText) })) };
}

/**
 * The final message: at most 50 blocks. When there are more, the middle is replaced by one
 * section saying how many were left out, keeping the first blocks and the last `keepTail`
 * (links, ids).
 */
export function payload(fallback: string, blocks: Block[], keepTail = 2): SlackPayload {
  let out = blocks;
  if (blocks.length > LIMITS.blocks) {
    const tail = blocks.slice(blocks.length - keepTail);
    const head = blocks.slice(0, LIMITS.blocks - keepTail - 1);
    const dropped = blocks.length - head.length - tail.length;
    out = [...head, section(`_${dropped} more block(s) left out to stay within Slack's 50-block limit ${TRUNCATED}_`), ...tail];
  }
  return { text: fitMrkdwn(fallback, LIMITS.fallbackText), blocks: out, unfurl_links: false, unfurl_media: false };
}
