import { describe, expect, it } from 'vitest';
import { Config } from '../../schemas/config.js';

// Architecture convention 1: every config field is .describe()d, so `tripline check` and
// the docs can say what a key means. Walks the schema and lists undescribed fields.
type S = { description?: string; _zod: { def: { type: string; innerType?: S; in?: S; shape?: Record<string, S>; valueType?: S; element?: S } } };

function undescribed(schema: S, path: string, out: string[]): void {
  let s: S | undefined = schema;
  while (s) {
    const d: S['_zod']['def'] = s._zod.def;
    if (d.shape) {
      for (const [k, field] of Object.entries(d.shape)) {
        if (!field.description) out.push(`${path}${k}`);
        undescribed(field, `${path}${k}.`, out);
      }
      return;
    }
    s = d.innerType ?? d.in ?? d.valueType ?? d.element;
  }
}

describe('Config schema documentation', () => {
  it('describes every field', () => {
    const out: string[] = [];
    undescribed(Config as unknown as S, '', out);
    expect(out).toEqual([]);
  });
});
