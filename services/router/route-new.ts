// Routing step (issue 5): decides, once and durably, what happens to each alert that
// entered the outbox since the sink's cursor: post (into which message, ready when),
// repeat, silenced or below. See policy.ts for the rules and routes.ts for the tables.
//
// Grouping: a 'post' alert joins the newest open message of its rule (ready time still in
// the future and fewer than maxGroupSize members), else opens one ready at now + groupWait.
// Record sinks (groupBy 'batch') put each routing batch into messages of up to
// maxGroupSize alerts, ready at once. Decisions of a batch see each other (the maps below),
// so ten alerts routed together group and dedup exactly as ten routed one by one.
import type { Silence } from '../../schemas/routing.js';
import { parseRfc3339 } from '../lib/time.js';
import type { Metrics } from '../lib/metrics.js';
import { fingerprintOf } from '../state/outbox.js';
import type { Decision, OpenGroup } from '../state/routes.js';
import type { StateStore } from '../state/store.js';
import { classify, type LastPost, type SinkPolicy } from './policy.js';

const BATCH = 200;

export interface RouteNewOptions {
  store: StateStore;
  sink: string;
  policy: SinkPolicy;
  silences: readonly Silence[];
  now: number;
  metrics?: Metrics;
}

/** Routes everything after the cursor; returns the number of alerts decided. */
export function routeNew(o: RouteNewOptions): number {
  const routes = o.store.routes;
  let total = 0;
  for (;;) {
    const { alerts, lastSeq, cursor } = routes.unrouted(o.sink, BATCH);
    if (alerts.length === 0) {
      // Only unreadable rows were there: move the cursor past them.
      if (lastSeq > cursor) routes.record(o.sink, [], lastSeq, o.now);
      return total;
    }
    const posts = new Map<string, LastPost | undefined>();
    const groups = new Map<string, OpenGroup | undefined>();
    const decisions: Decision[] = [];
    let batch: { key: string; size: number } | undefined;
    for (const { alert } of alerts) {
      const fp = fingerprintOf(alert);
      const tsMs = parseRfc3339(alert.ts)?.ms ?? o.now;
      if (!posts.has(fp)) posts.set(fp, routes.lastPost(o.sink, fp));
      const c = classify(alert, tsMs, o.policy, o.silences, posts.get(fp), o.now);
      const d: Decision = { alert, fingerprint: fp, disposition: c.disposition };
      if (c.disposition === 'silenced') d.silenceId = c.silenceId;
      if (c.disposition === 'repeat') d.groupKey = c.repeatOf;
      if (c.disposition === 'post') {
        if (o.policy.dedup) {
          const prev = posts.get(fp);
          // An out-of-order older alert never moves the window back.
          const opens = prev === undefined || tsMs > prev.tsMs ? { tsMs, id: alert.id } : prev;
          posts.set(fp, opens);
          d.postedTsMs = opens.tsMs;
          d.postedId = opens.id;
        }
        if (o.policy.groupBy === 'batch') {
          if (!batch || batch.size >= o.policy.maxGroupSize) batch = { key: `batch:${alert.id}`, size: 0 };
          batch.size++;
          d.groupKey = batch.key;
          d.readyMs = o.now;
        } else if (o.policy.groupWaitMs <= 0) {
          d.groupKey = alert.id;
          d.readyMs = o.now;
        } else {
          if (!groups.has(alert.rule)) groups.set(alert.rule, routes.openGroup(o.sink, alert.rule, o.now));
          let g = groups.get(alert.rule);
          if (!g || g.size >= o.policy.maxGroupSize || g.readyMs <= o.now) {
            g = { groupKey: `${alert.rule}:${alert.id}`, readyMs: o.now + o.policy.groupWaitMs, size: 0 };
            groups.set(alert.rule, g);
          }
          g.size++;
          d.groupKey = g.groupKey;
          d.readyMs = g.readyMs;
        }
      }
      decisions.push(d);
      o.metrics?.routeDecisions.inc({ sink: o.sink, disposition: c.disposition });
    }
    routes.record(o.sink, decisions, lastSeq, o.now);
    total += decisions.length;
  }
}
