// The digest as plain text (issue 5): what `tripline digest` prints, from the same layout
// the Slack message is built from. Values are shown as they are, with control characters
// replaced, so a log line cannot move the terminal's cursor.
import { stripControls } from '../../sinks/mrkdwn.js';
import type { DigestLayout, Line } from './sections.js';

function textLine(line: Line): string {
  return line.map((p) => (typeof p === 'string' ? p : 'v' in p ? stripControls(p.v, false) : p.em)).join('');
}

export function formatDigestText(l: DigestLayout): string {
  const out = [l.title, l.subtitle, ''];
  for (const s of l.sections) {
    out.push(`${s.title}:`);
    if (s.lines.length === 0) out.push(`  ${s.empty ?? 'none'}`);
    for (const line of s.lines) out.push(`  - ${textLine(line)}`);
    out.push('');
  }
  out.push(l.footer);
  return `${out.join('\n')}\n`;
}
