// What "nothing pings the channel" means for a Slack payload (formats.md §6, convention 9),
// checked on every text the webhook receives:
// - mrkdwn text (section text and fields, context elements, the notification `text`)
//   holds no `<` at all, except links tripline itself built to an allowed origin
//   (runbooks, Grafana), and those links' labels hold none either: so no <!channel>,
//   <!here>, <!everyone>, <@U…>, <!subteam^…>, <#C…> or disguised <http://evil|bank> link;
// - plain_text (the header) holds no `<`/`>` (tripline turns them into ‹ ›);
// - no text holds control characters (ANSI escapes, NUL, CR, BEL);
// - the payload never asks Slack to parse names (link_names, parse: full);
// - Block Kit limits hold (50 blocks, header 150, section 3000, 10 fields of 2000).

interface TextObject {
  type: string;
  text: string;
}

export interface SafetyOptions {
  /** Origins tripline may link to (runbookBaseUrl, grafana.url). */
  allowedLinkOrigins?: string[];
}

function checkMrkdwn(text: string, where: string, o: SafetyOptions, problems: string[]): void {
  let i = text.indexOf('<');
  while (i >= 0) {
    const end = text.indexOf('>', i);
    const inner = end < 0 ? text.slice(i) : text.slice(i + 1, end);
    const bar = inner.indexOf('|');
    const target = bar < 0 ? inner : inner.slice(0, bar);
    const label = bar < 0 ? '' : inner.slice(bar + 1);
    let allowed = false;
    try {
      allowed = (o.allowedLinkOrigins ?? []).includes(new URL(target).origin) && !label.includes('<');
    } catch {
      allowed = false;
    }
    if (!allowed) problems.push(`${where}: live Slack syntax ${JSON.stringify(text.slice(i, Math.min(text.length, i + 60)))}`);
    i = end < 0 ? -1 : text.indexOf('<', end);
  }
  checkControls(text, where, problems);
}

function checkControls(text: string, where: string, problems: string[]): void {
  // eslint-disable-next-line no-control-regex
  const m = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.exec(text);
  if (m) problems.push(`${where}: control character U+${m[0].charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Every problem with a payload; [] when it is safe. */
export function slackProblems(payload: unknown, o: SafetyOptions = {}): string[] {
  const problems: string[] = [];
  const p = payload as { text?: unknown; blocks?: unknown[]; link_names?: unknown; parse?: unknown };
  if (p.link_names !== undefined && p.link_names !== false && p.link_names !== 0) problems.push('link_names is set');
  if (p.parse !== undefined && p.parse !== 'none') problems.push(`parse is ${String(p.parse)}`);
  if (typeof p.text === 'string') {
    checkMrkdwn(p.text, 'text', o, problems);
    if (p.text.length > 3000 + 40) problems.push(`text of ${p.text.length} chars`);
  }
  const blocks = p.blocks ?? [];
  if (blocks.length > 50) problems.push(`${blocks.length} blocks`);
  blocks.forEach((b, n) => {
    const block = b as { type: string; text?: TextObject; fields?: TextObject[]; elements?: TextObject[] };
    const texts: Array<[TextObject, number]> = [];
    if (block.text) texts.push([block.text, block.type === 'header' ? 150 : 3000]);
    for (const f of block.fields ?? []) texts.push([f, 2000]);
    if ((block.fields ?? []).length > 10) problems.push(`block ${n}: ${block.fields!.length} fields`);
    for (const e of block.elements ?? []) texts.push([e, 3000]);
    for (const [t, max] of texts) {
      const where = `block ${n} (${block.type})`;
      if (t.text.length > max) problems.push(`${where}: ${t.text.length} chars > ${max}`);
      if (t.type === 'mrkdwn') checkMrkdwn(t.text, where, o, problems);
      else {
        if (/[<>]/.test(t.text)) problems.push(`${where}: angle bracket in plain_text`);
        checkControls(t.text, where, problems);
      }
    }
  });
  return problems;
}
