// Slack mrkdwn text from attacker-controlled strings (architecture convention 9; formats.md
// §6). Usernames, user agents, paths and Snort messages are data: after these functions
// they can never form a mention (<!channel>, <!here>, <@U123>, <!subteam^S1>) or a link
// (<http://x|y>), and they are length-capped.
//
// Rules:
// - Escape exactly &, < and > (&amp; &lt; &gt;), & first, nothing else: Slack decodes only
//   those three, so `<!channel>` arrives as the visible text "<!channel>".
// - Inline code for values (`code`): Slack neither links nor formats inside it. A backtick
//   cannot be escaped in mrkdwn, so it is replaced by ˋ (U+02CB) so the value cannot
//   leave its code span; line breaks become spaces there.
// - Control characters (other than \n where text allows it) become U+FFFD: they have no
//   business in a message and some clients render them confusingly.
// - Truncation works on the raw text and re-escapes, so an entity (&amp;) is never cut in
//   half, and it never splits a surrogate pair. Truncated text ends with TRUNCATED.

export const TRUNCATED = '… [truncated]';

export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Replaces control characters; keeps \n when `keepNewlines`. */
export function stripControls(text: string, keepNewlines = true): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]|\n/g, (c) => (c === '\n' ? (keepNewlines ? '\n' : ' ') : c === '\t' ? ' ' : '\uFFFD'));
}

/** Cuts `text` to at most `max` UTF-16 units without splitting a surrogate pair. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max);
  const c = text.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return text.slice(0, end);
}

/**
 * Escaped mrkdwn of `raw`, at most `limit` characters after escaping; longer text is cut
 * (on the raw side) and ends with TRUNCATED. `render` wraps the escaped core (code spans);
 * its overhead counts against the limit.
 */
export function fitEscaped(raw: string, limit: number, render: (escaped: string) => string = (e) => e): string {
  const whole = render(escapeMrkdwn(raw));
  if (whole.length <= limit) return whole;
  const overhead = render('').length + TRUNCATED.length;
  const budget = Math.max(0, limit - overhead);
  // Walk the raw text, counting escaped length, until the budget is used.
  let used = 0;
  let i = 0;
  for (; i < raw.length; i++) {
    const ch = raw[i]!;
    const w = ch === '&' ? 5 : ch === '<' || ch === '>' ? 4 : 1;
    if (used + w > budget) break;
    used += w;
  }
  return render(escapeMrkdwn(cut(raw, i)) + TRUNCATED);
}

/** Log-derived text for a mrkdwn paragraph: controls removed, escaped, capped. */
export function safeText(raw: string, limit: number): string {
  return fitEscaped(stripControls(raw), limit);
}

/** A log-derived value as inline code: cannot leave its span, link, or mention. */
export function code(raw: string | null | undefined, limit = 300): string {
  if (raw === null || raw === undefined || raw === '') return '—';
  const clean = stripControls(raw, false).replace(/`/g, '\u02cb');
  return fitEscaped(clean, limit, (e) => `\`${e}\``);
}

/** A preformatted block of log lines (```…```), same guarantees as `code`. */
export function preformatted(raw: string, limit: number): string {
  const clean = stripControls(raw).replace(/`/g, '\u02cb');
  return fitEscaped(clean, limit, (e) => `\`\`\`${e}\`\`\``);
}

/**
 * A link we built (runbook, Grafana): <url|label>. The URL must be http(s); & is written
 * &amp; and <, > and | percent-encoded, so it cannot end early, and the label is escaped text with no
 * `|`. Anything else yields the label alone.
 */
export function link(url: string, label: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return escapeMrkdwn(label);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return escapeMrkdwn(label);
  // & is escaped as Slack expects (it decodes &amp; back, keeping query strings intact);
  // <, > and | could end the link early, so they are percent-encoded.
  const safeUrl = u.href.replace(/&/g, '&amp;').replace(/[<>|]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `<${safeUrl}|${escapeMrkdwn(label.replace(/\|/g, '/'))}>`;
}

/** Plain text for a header block: no escaping (plain_text is not parsed), controls removed, angle brackets neutralised, capped. */
export function plainHeader(text: string, limit: number): string {
  const clean = stripControls(text, false).replace(/</g, '‹').replace(/>/g, '›');
  return clean.length <= limit ? clean : cut(clean, limit - 1) + '…';
}
