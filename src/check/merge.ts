/**
 * Combining the results of the shards of one search (`check --shard i/n`, `--workers`)
 * into the verdict the unsharded search would give. The shards split one search tree
 * (explore.ts `Shard`), so their executions add up; the counterexample shown is the one of
 * the lowest shard that found what the scenario looks for, whatever order they finished in.
 */
import { sumRaces, type ScenarioResult } from './result.ts';

/** Whether the shard's search stopped at what it looks for (later shards may be cancelled). */
export function foundWanted(r: ScenarioResult): boolean {
  return r.expected?.verdict === 'violation' ? r.ok : r.verdict === 'violation';
}

/**
 * Groups shard results by scenario; returns problems (missing, repeated or mismatched
 * shards) as messages, or the groups in the order their scenarios first appear.
 */
export function groupShards(results: readonly ScenarioResult[]): { groups: ScenarioResult[][]; problems: string[] } {
  const byKey = new Map<string, ScenarioResult[]>();
  const problems: string[] = [];
  for (const r of results) {
    if (!r.shard) {
      problems.push(`${r.file}: result of scenario "${r.scenario || '?'}" is not a shard (made without --shard)`);
      continue;
    }
    const key = `${r.file}\0${r.scenario}`;
    if (!byKey.has(key)) byKey.set(key, []);
    byKey.get(key)!.push(r);
  }
  for (const parts of byKey.values()) {
    const { file, scenario, shard, stats } = parts[0]!;
    const count = shard!.count;
    const mismatch = parts.find((p) => p.shard!.count !== count || p.shard!.hash !== shard!.hash || p.stats.strategy !== stats.strategy);
    if (mismatch) {
      problems.push(`${file} (${scenario}): shards of different searches (count ${mismatch.shard!.count} vs ${count}, content hash ${mismatch.shard!.hash} vs ${shard!.hash}, strategy ${mismatch.stats.strategy} vs ${stats.strategy})`);
      continue;
    }
    const have = new Map<number, number>();
    for (const p of parts) have.set(p.shard!.index, (have.get(p.shard!.index) ?? 0) + 1);
    const missing: number[] = [];
    for (let i = 1; i <= count; i++) if (!have.has(i)) missing.push(i);
    const twice = [...have].filter(([, n]) => n > 1).map(([i]) => i);
    if (missing.length) problems.push(`${file} (${scenario}): shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} missing`);
    if (twice.length) problems.push(`${file} (${scenario}): shard${twice.length > 1 ? 's' : ''} ${twice.map((i) => `${i}/${count}`).join(', ')} given more than once`);
  }
  return { groups: [...byKey.values()], problems };
}

/**
 * The result of the whole search from one result per shard (any order), and optionally a
 * result without `shard` for a pct pre-pass run on its own (`prepassOnly`). `elapsedMs` is
 * the caller's wall time when given, else the slowest shard's (shards run side by side).
 * `redundant` sums the shards' own audits: the shards explore disjoint subtrees, so an
 * execution repeated across shards would be a bug of the split, which the tests check.
 * Where shards' audits sampled (`auditSample`), the merged one gives the coarsest rate and
 * the earliest start.
 */
export function mergeShards(parts: readonly ScenarioResult[], elapsedMs?: number): ScenarioResult {
  const sorted = [...parts].sort((a, b) => (a.shard?.index ?? 0) - (b.shard?.index ?? 0));
  const first = sorted[0]!;
  const hit = sorted.find(foundWanted);
  const counted = sorted.some((p) => p.stats.counted);
  const shown = hit ?? sorted.find((p) => p.violation);
  const violations = [...new Set(sorted.flatMap((p) => p.violations))].sort();
  const seen = violations.flatMap((v) => sorted.flatMap((p) => p.seen ?? []).find((s) => s.property === v) ?? []);
  const verdict = violations.length > 0 ? 'violation' : 'safe';
  const sum = (f: (p: ScenarioResult) => number) => sorted.reduce((a, p) => a + f(p), 0);
  const shards = Math.max(...sorted.map((p) => p.shard?.count ?? 1));
  const sampled = sorted.flatMap((p) => (p.stats.auditSample ? [p.stats.auditSample] : []));
  const { shard: _shard, violation: _violation, ...base } = first;
  return {
    ...base,
    verdict,
    // once one shard found it the others may have been stopped: that is no cut of the search
    // under --count every shard runs to its end, hit or not
    complete: hit && !counted ? hit.complete : sorted.every((p) => p.complete),
    ok: first.expected?.verdict === 'violation' ? hit !== undefined : verdict === 'safe',
    ...(shown?.violation ? { violation: shown.violation } : {}),
    violations,
    ...(seen.length ? { seen } : {}),
    stats: {
      executions: sum((p) => p.stats.executions),
      redundant: sum((p) => p.stats.redundant),
      maxDepth: Math.max(...sorted.map((p) => p.stats.maxDepth)),
      elapsedMs: elapsedMs ?? Math.max(...sorted.map((p) => p.stats.elapsedMs)),
      strategy: first.stats.strategy,
      sleepBlocked: sum((p) => p.stats.sleepBlocked),
      firstViolationMs: hit?.stats.firstViolationMs,
      prepass: sum((p) => p.stats.prepass ?? 0),
      ...(shards > 1 ? { shards } : {}),
      ...(sorted.some((p) => p.stats.races) ? { races: sumRaces(sorted.map((p) => p.stats.races ?? [])) } : {}),
      ...(counted ? { counted } : {}),
      ...(sampled.length ? { auditSample: { from: Math.min(...sampled.map((a) => a.from)), rate: Math.min(...sampled.map((a) => a.rate)) } } : {}),
      ...(first.stats.symmetry ? { symmetry: { importers: first.stats.symmetry.importers, images: sum((p) => p.stats.symmetry?.images ?? 0) } } : {}),
    },
  };
}
