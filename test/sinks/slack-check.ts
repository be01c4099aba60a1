// Checks every Slack payload test shares: Block Kit limits, no mention/link from data, and
// the webhook options tripline must never set.
import { expect } from 'vitest';
import type { SlackPayload } from '../../services/sinks/slack-blocks.js';
import type { SlackFormatOptions } from '../../services/sinks/slack-format.js';

/** The format options of the golden messages (a zone with an offset, every link on). */
export const GOLDEN_OPTIONS: SlackFormatOptions = {
  timezone: 'Europe/Sofia',
  runbookBaseUrl: 'https://github.com/example/tripline/blob/main/',
  groupWaitMs: 30_000,
  grafana: { url: 'https://grafana.example.org', datasource: 'loki', orgId: 1, selectors: { 'k8s-audit': '{job="kubernetes-audit"}' }, padding: 60_000 },
};

/** Every mrkdwn/plain text of a payload (fallback text included). */
export function texts(p: SlackPayload): string[] {
  const out = [p.text];
  for (const b of p.blocks) {
    if (b.type === 'header') out.push(b.text.text);
    if (b.type === 'section') {
      if (b.text) out.push(b.text.text);
      for (const f of b.fields ?? []) out.push(f.text);
    }
    if (b.type === 'context') for (const e of b.elements) out.push(e.text);
  }
  return out;
}

/** The control sequences (<...>) a payload contains: each must be one of our own links. */
export function controlSequences(p: SlackPayload): string[] {
  return texts(p).flatMap((t) => [...t.matchAll(/<[^>]*>/g)].map((m) => m[0]));
}

export function expectWithinLimits(p: SlackPayload, allowedLinkPrefixes: readonly string[] = []): void {
  expect(p.blocks.length).toBeGreaterThan(0);
  expect(p.blocks.length).toBeLessThanOrEqual(50);
  expect(p.text.length).toBeLessThanOrEqual(3000);
  for (const b of p.blocks) {
    if (b.type === 'header') expect(b.text.text.length).toBeLessThanOrEqual(150);
    if (b.type === 'section') {
      if (b.text) expect(b.text.text.length).toBeLessThanOrEqual(3000);
      expect((b.fields ?? []).length).toBeLessThanOrEqual(10);
      for (const f of b.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(2000);
    }
    if (b.type === 'context') expect(b.elements.length).toBeLessThanOrEqual(10);
  }
  const raw = p as unknown as Record<string, unknown>;
  expect(raw['link_names']).toBeUndefined();
  expect(raw['parse']).toBeUndefined();
  expect(p.unfurl_links).toBe(false);
  // No mention or link can come from data: every <...> is a link we built.
  for (const seq of controlSequences(p)) {
    expect(allowedLinkPrefixes.some((pre) => seq.startsWith(`<${pre}`)), `unexpected control sequence ${seq}`).toBe(true);
  }
}
