// `list rules` covers the whole rule book. The rule book lives outside the repository
// (../shared/spec), so a clean clone checks against test/rule-book-ids.txt, the rule
// book's ids committed here; where the rule book is present, that list is re-derived
// from it and must match, so a new rule fails here until both the list and the table
// have it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { RULE_BOOK } from '../src/cli/rule-book.ts';

const RULE_BOOK_FILE = '../shared/spec/dma-buf-semantics.md';
const committed = readFileSync('test/rule-book-ids.txt', 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
const listed = RULE_BOOK.flatMap((g) => g.rules);

/**
 * The rule ids the rule book defines: `- **ID**` items (S, R, RV, P, D-*; not the open
 * questions Q*), R-rule sub-items (`  - R18a`), and a driver section named `(D-X)`
 * with no numbered rules of its own (D-STATIC).
 */
function ruleBookIds(md: string): string[] {
  const ids: string[] = [];
  for (const line of md.split('\n')) {
    const item = /^- \*\*([A-Z][A-Z0-9-]*?\d+[a-z]?)\*\*/.exec(line) ?? /^ {2}- (R\d+[a-z]) /.exec(line);
    if (item && !item[1]!.startsWith('Q')) ids.push(item[1]!);
    const section = /^#{2,4} .*\((D-[A-Z]+)\)\s*$/.exec(line);
    if (section && !md.includes(`**${section[1]}-1**`)) ids.push(section[1]!);
  }
  return [...new Set(ids)];
}

test('the rule-id extraction finds every kind of id, and a new one', () => {
  const md = '### 2.1 x (S1-S2)\n- **S1** a\n- **S2** b\n  - R18a `x`: y\n- **RV1** c\n### 5.1 v (D-VFIO)\n- **D-VFIO-1** d\n### 5.7 s (D-STATIC)\nR34 ...\n- **Q1** open\n';
  assert.deepEqual(ruleBookIds(md), ['S1', 'S2', 'R18a', 'RV1', 'D-VFIO-1', 'D-STATIC']);
  assert.deepEqual(ruleBookIds(md + '- **P13** new\n').slice(-1), ['P13']);
});

test('the committed id list is the rule book\'s, where the rule book is present', (t) => {
  if (!existsSync(RULE_BOOK_FILE)) {
    t.skip(`${RULE_BOOK_FILE} is not here (a clean clone): test/rule-book-ids.txt stands for it`);
    return;
  }
  const ids = ruleBookIds(readFileSync(RULE_BOOK_FILE, 'utf8'));
  assert.ok(ids.length > 130, `only ${ids.length} ids found: the extraction no longer reads the rule book`);
  assert.deepEqual(committed, ids, 'the rule book changed: update test/rule-book-ids.txt and src/cli/rule-book.ts or src/kernel/rules.ts');
});

test('list rules has exactly the rule book\'s ids, in its order, once each', () => {
  assert.equal(committed.length, 139);
  assert.deepEqual(listed.map((r) => r.id), committed);
});

test('every rule says where it is modelled (file:identifier that exists) or why not', () => {
  for (const r of listed) {
    assert.ok(r.text.length > 10 && r.source.length > 5 && r.where.length > 5, r.id);
    for (const m of r.where.matchAll(/([a-z-]+\/[a-z0-9-]+\.ts):([A-Za-z_][A-Za-z0-9_]*)/g)) {
      const file = `src/${m[1]}`;
      assert.ok(existsSync(file), `${r.id}: ${file} does not exist`);
      assert.match(readFileSync(file, 'utf8'), new RegExp(`\\b${m[2]}\\b`), `${r.id}: ${m[2]} is not in ${file}`);
    }
    if (r.modelled !== false) assert.match(r.where, /[a-z-]+\/[a-z0-9-]+\.ts:[A-Za-z_]+/, `${r.id} names no file:identifier`);
  }
});

test('dmabuf-lab list rules --json gives every rule with where or why; the text keeps the R lines\' format', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'list', 'rules', '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const rules = JSON.parse(r.stdout) as { id: string; modelled: boolean | string; where?: string; why?: string }[];
  assert.deepEqual(rules.map((x) => x.id), committed);
  for (const x of rules) assert.equal(typeof (x.modelled === false ? x.why : x.where), 'string', x.id);
  const text = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'list', 'rules'], { encoding: 'utf8' }).stdout;
  for (const id of ['S21', 'RV6', 'P10', 'P11', 'D-GPUI-3', 'D-STATIC']) assert.match(text, new RegExp(`^${id} +(modelled|drivers|not modelled) +\\S`, 'm'));
  assert.match(text, /^D-RDMAP-3 +modelled .*\n +source: linux: drivers\/infiniband\/core\/umem_dmabuf\.c\n +where: drivers\/rdma-pinned\.ts:doRelease/m);
});
