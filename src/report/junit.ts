/**
 * JUnit XML for CI systems (ECOSYSTEM.md #7): one testcase a scenario, classname = file without extension,
 * failure type = property id, the counterexample timeline in the failure body.
 */
import type { CheckOutput } from '../check/result.ts';
import { formatTimeline } from './timeline.ts';

const esc = (s: string) =>
  s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

/**
 * The testcase's class: the file without its extension (`scenarios/b1-vfio-revoke-no-wait`),
 * since CI viewers split a class name at dots and `.yaml` would become a class of its own.
 */
export function className(file: string): string {
  return file.replace(/\.(ya?ml|json)$/, '');
}

/** The JUnit XML of a check: failures are unmet expectations, errors invalid files. */
export function junitXml(out: CheckOutput): string {
  const failures = out.results.filter((r) => !r.ok && r.verdict !== 'error').length;
  const errors = out.results.filter((r) => r.verdict === 'error').length;
  const secs = (ms: number) => (ms / 1000).toFixed(3);
  const cases = out.results.map((r) => {
    const head = `    <testcase classname="${esc(className(r.file))}" name="${esc(r.scenario || r.file)}" time="${secs(r.stats.elapsedMs)}" file="${esc(r.file)}">`;
    let body = '';
    if (r.verdict === 'error') body = `\n      <error message="invalid scenario" type="input">${esc((r.errors ?? []).join('\n'))}</error>\n    `;
    else if (!r.ok) {
      const v = r.violation;
      const msg = v ? `${v.property} (${v.rule}): ${v.message}` : `expected ${r.expected?.verdict} ${r.expected?.property ?? ''} not found`;
      const text = v ? `${msg}\nschedule ${v.schedule}\n${formatTimeline(v, { color: false })}` : msg;
      body = `\n      <failure message="${esc(msg)}" type="${esc(v?.property ?? 'expectation')}">${esc(text)}</failure>\n    `;
    }
    return `${head}${body}</testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="dmabuf-lab" tests="${out.results.length}" failures="${failures}" errors="${errors}" skipped="0" time="${secs(out.summary.elapsedMs)}">`,
    `  <testsuite name="dmabuf-lab check" tests="${out.results.length}" failures="${failures}" errors="${errors}" skipped="0" time="${secs(out.summary.elapsedMs)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
