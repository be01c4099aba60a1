// Distinctive fake secrets for the secrets tests, and every form in which one could leak:
// the value itself, the secret part of the webhook URL (its path), the Basic
// authorization header tripline builds from the Loki password, and the URL-encoded forms.
import { expect } from 'vitest';

export const LOKI_USER = 'tripline-hardening';
export const SECRET = {
  slackPath: '/services/T0HARDEN1/B0HARDEN2/xSeKrEtWeBhOoKtOkEn31337',
  lokiPassword: 'l0ki-SeKrEt-pa55-4242',
  kafkaPassword: 'k4fka-SASL-SeKrEt-9913',
};

/** The webhook URL of a local Slack stand-in, secret path included. */
export const slackUrl = (port: number) => `http://127.0.0.1:${port}${SECRET.slackPath}`;

/** Every string that must never be printed or exposed. */
export function leakForms(): string[] {
  const forms = [
    SECRET.slackPath,
    SECRET.slackPath.split('/').pop()!,
    SECRET.lokiPassword,
    SECRET.kafkaPassword,
    Buffer.from(`${LOKI_USER}:${SECRET.lokiPassword}`).toString('base64'),
    Buffer.from(`\u0000tripline\u0000${SECRET.kafkaPassword}`).toString('base64'),
    encodeURIComponent(SECRET.lokiPassword),
    encodeURIComponent(SECRET.kafkaPassword),
  ];
  return [...new Set(forms)];
}

/** Fails with where and what leaked; `texts` maps a place (stderr of X, /metrics) to its content. */
export function expectNoSecrets(texts: Record<string, string>): void {
  const leaks: string[] = [];
  for (const [where, text] of Object.entries(texts)) {
    for (const form of leakForms()) {
      const i = text.indexOf(form);
      if (i >= 0) leaks.push(`${where}: ${JSON.stringify(text.slice(Math.max(0, i - 120), i + form.length + 40))}`);
    }
  }
  expect(leaks, `secrets leaked:\n${leaks.join('\n')}`).toEqual([]);
}
