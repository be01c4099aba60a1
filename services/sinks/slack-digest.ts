// Slack Block Kit for the daily digest (issue 5): pure `formatSlackDigest(layout) → payload`.
// The layout (services/router/digest/sections.ts) is shared with the text `tripline digest`
// prints. Values from logs ({ v } parts) become code spans, our own words are escaped;
// each section is one block capped at 3,000 characters, so the digest always fits
// (≤ 13 blocks).
import type { DigestLayout, Line } from '../router/digest/sections.js';
import { code, escapeMrkdwn } from './mrkdwn.js';
import { type SlackPayload, context, header, payload, section } from './slack-blocks.js';

function mrkdwnLine(line: Line): string {
  return line.map((p) => (typeof p === 'string' ? escapeMrkdwn(p) : 'v' in p ? code(p.v, 200) : `*${escapeMrkdwn(p.em)}*`)).join('');
}

export function formatSlackDigest(l: DigestLayout): SlackPayload {
  const blocks = [
    header(`:bar_chart: ${l.title}`),
    context([escapeMrkdwn(l.subtitle)]),
    ...l.sections.map((s) => section(`*${escapeMrkdwn(s.title)}*\n${s.lines.length === 0 ? `_${escapeMrkdwn(s.empty ?? 'none')}_` : s.lines.map((x) => `• ${mrkdwnLine(x)}`).join('\n')}`)),
    context([escapeMrkdwn(l.footer)]),
  ];
  return payload(`${l.title}: ${l.subtitle}`, blocks, 1);
}
