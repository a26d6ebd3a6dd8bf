/**
 * The HTML sequence diagram of one execution: a single self-contained file (inline SVG,
 * CSS and JS, nothing fetched). Time runs downwards, one row an event; the text of each
 * event sits in a column on the left, then one lifeline per thread and device engine and
 * one per shared object (buffer, reservation, fence, lock, memory). An event is a dot on
 * its thread's lifeline with arrows to the objects it touches; the happens-before edges
 * between threads that are not implied by earlier ones are drawn as curves; held locks
 * are bars beside the lifeline. The violation is marked on its row and named in the
 * banner with the schedule token. The page opens on the violation's story (html-story.ts);
 * a toggle shows the whole diagram. The details of a row show in a panel while the pointer
 * is on it or it has the keyboard focus (Tab, arrow keys); the page itself scrolls, with no
 * inner scroll box, so a full-page screenshot or a print holds every row. Hand-written SVG
 * strings (ECOSYSTEM.md #12): the same execution gives the same bytes.
 */
import { OpKind } from '../sim/op.ts';
import { callSpans, jobSpans, lockSpans, type Execution, type XEvent } from './execution.ts';
import { STORY_CSS, STORY_JS, storyHtml } from './html-story.ts';

const ROW = 18;
const TOP = 8;
const TEXT_W = 430;
const LANE_W = 96;
const RIGHT = 300;
const MAX_OBJECT_LANES = 16;
/** characters of a lane label line that fit LANE_W in the 11px monospace font */
const LANE_CHARS = 14;
const HEAD_H = 50;

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function clip(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, n - 1) + '…';
}

/**
 * One name on two lines of at most LANE_CHARS: broken after the last `.`, `-` or `_`
 * that fits, the second line clipped at its start, since lanes of one object family
 * share a prefix and differ at the end (`vfio-buf.resv.` / `lock`, `fences`).
 */
function twoLines(name: string): string[] {
  if (name.length <= LANE_CHARS) return [name];
  const cut = Math.max(...['.', '-', '_'].map((c) => name.lastIndexOf(c, LANE_CHARS - 1)));
  const at = cut > 0 ? cut + 1 : LANE_CHARS;
  const rest = name.slice(at);
  return [name.slice(0, at), rest.length <= LANE_CHARS ? rest : '…' + rest.slice(rest.length - LANE_CHARS + 1)];
}

/**
 * The lifeline labels of `names` (distinct names): two lines each, and distinct; a label
 * that still equals another one's ends with its lane number instead.
 */
export function laneLabels(names: readonly string[]): string[][] {
  const out = names.map(twoLines);
  const key = (l: string[]) => l.join('\n');
  out.forEach((l, k) => {
    if (out.findIndex((m) => key(m) === key(l)) === k) return;
    const tag = `#${k + 1}`;
    const last = l[l.length - 1]!;
    l[l.length - 1] = '…' + last.slice(Math.max(0, last.length - (LANE_CHARS - tag.length - 2))) + ' ' + tag;
  });
  return out;
}

/** Whether an arrow between an event's thread and an object points at the object. */
function towardObject(e: XEvent): boolean {
  return e.write || e.opKind === OpKind.Dma || e.opKind === OpKind.Signal;
}

const CSS = `
body{font:13px/1.4 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fff}
header{padding:10px 16px;border-bottom:1px solid #ddd}
h1{font-size:18px;margin:0 0 4px}
.desc{color:#555;max-width:70em}
.viol{margin:8px 0;padding:8px 10px;border-left:4px solid #c62828;background:#fdecea}
.viol b{color:#b71c1c}
.ok{margin:8px 0;padding:8px 10px;border-left:4px solid #2e7d32;background:#e8f5e9}
code{font:12px ui-monospace,monospace;background:#f4f4f4;padding:1px 4px;border-radius:3px;word-break:break-all}
.legend span{margin-right:14px;white-space:nowrap}
.legend i{display:inline-block;width:18px;height:3px;vertical-align:middle;margin-right:4px}
#wrap{position:relative;border-top:1px solid #eee;width:max-content}
#head{position:sticky;top:0;background:#fff;z-index:2;border-bottom:1px solid #ccc}
.lifeline-heads,#diagram{display:block}
svg text{font:11px ui-monospace,monospace}
.lane{stroke:#bbb;stroke-width:1}
.lane.th{stroke:#555;stroke-width:1.5}
.lname{font-weight:bold}
#diagram line,#diagram path,#diagram circle,#diagram .lock,#diagram .call,#diagram .job,#diagram .violation-mark{pointer-events:none}
.ev .hit{fill:transparent}
.ev{outline:none}
.ev:hover .hit,.ev.hl .hit,.ev:focus .hit{fill:#fff8c4}
.ev:focus .hit{stroke:#1565c0;stroke-width:1.5}
.ev.quiet text{fill:#999}
.ev.bad .hit{fill:#fbd5d5}
.ev.revoke .hit{fill:#fff0c2}
.arrow{stroke-width:1.2;fill:none}
.hb{stroke:#ef6c00;stroke-width:1.3;fill:none;stroke-dasharray:4 3;opacity:.8}
.hb.hl{stroke-width:2.6;opacity:1}
.lock{opacity:.55}
.c-call{fill:#1a237e;font-weight:bold}
.c-dma{fill:#8e24aa}.s-dma{stroke:#8e24aa}
.c-signal,.c-wait,.c-fence-add{fill:#00838f}.s-signal,.s-wait,.s-fence-add{stroke:#00838f}
.c-lock,.c-unlock{fill:#555}.s-lock,.s-unlock{stroke:#777}
.c-revoke{fill:#e65100;font-weight:bold}.s-revoke{stroke:#e65100}
.c-other{fill:#222}.s-other,.s-call{stroke:#999}
.badlabel{fill:#b71c1c;font-weight:bold}
#details{position:fixed;right:12px;bottom:12px;width:380px;max-height:45vh;overflow:auto;background:#fffff4;border:1px solid #aaa;
 box-shadow:0 2px 8px rgba(0,0,0,.2);padding:8px 10px;font:12px ui-monospace,monospace;white-space:pre-wrap;display:none;z-index:5}
@media print{
 #details,#goto,.legend label{display:none!important}
 #wrap{width:auto;border:0}
 #head{position:static}
 .lifeline-heads,#diagram{width:100%;height:auto}
 .ev .hit{fill:transparent!important;stroke:none!important}
 .ev.bad .hit{fill:#fbd5d5!important}
}
`;

const JS = `
(function(){
var data=JSON.parse(document.getElementById('data').textContent);
var box=document.getElementById('details');
function show(i){
  var e=data.events[i];if(!e)return;
  var lines=['#'+e.seq+'  '+e.thread,e.label+(e.detail?' '+e.detail:'')];
  if(e.mark)lines.push('mark: '+e.mark);
  lines.push('kind: '+e.kind+(e.write?' (writes)':''));
  if(e.objs.length)lines.push('objects: '+e.objs.join(', '));
  if(e.held.length)lines.push('holds: '+e.held.join(', '));
  lines.push('clock: ['+e.clock.join(' ')+']');
  e.hbIn.forEach(function(h){lines.push('after  #'+h[0]+' ('+h[1]+') via '+h[2]);});
  e.hbOut.forEach(function(h){lines.push('before #'+h[0]+' ('+h[1]+') via '+h[2]);});
  e.viol.forEach(function(v){lines.push('VIOLATION '+v);});
  box.textContent=lines.join('\\n');box.style.display='block';
  document.querySelectorAll('.hb.hl').forEach(function(n){n.classList.remove('hl');});
  document.querySelectorAll('.hb[data-to="'+i+'"],.hb[data-from="'+i+'"]').forEach(function(n){n.classList.add('hl');});
}
// The panel shows the row under the pointer, else the focused row, else nothing.
var hovered=null,focused=null;
// After "show it" scrolls, rows pass under a pointer that did not move: not a hover.
var still=null;
function hide(){box.style.display='none';box.textContent='';document.querySelectorAll('.hb.hl').forEach(function(n){n.classList.remove('hl');});}
function update(){var g=hovered||focused;if(g)show(+g.getAttribute('data-i'));else hide();}
var rows=Array.prototype.slice.call(document.querySelectorAll('.ev'));
rows.forEach(function(g,k){
  g.addEventListener('mouseenter',function(ev){
    if(still&&ev.clientX===still[0]&&ev.clientY===still[1])return;
    still=null;hovered=g;update();
  });
  g.addEventListener('mouseleave',function(){if(hovered===g)hovered=null;update();});
  g.addEventListener('focus',function(){focused=g;update();});
  g.addEventListener('blur',function(){if(focused===g)focused=null;update();});
  g.addEventListener('keydown',function(ev){
    var to=ev.key==='ArrowDown'||ev.key==='j'?rows[k+1]:ev.key==='ArrowUp'||ev.key==='k'?rows[k-1]:null;
    if(to){ev.preventDefault();to.focus();to.scrollIntoView({block:'nearest'});}
    else if(ev.key==='Escape'){g.blur();}
  });
});
function gotoViolation(){var v=document.querySelector('.ev.shown')||document.querySelector('.ev.bad');if(v){v.scrollIntoView({block:'center'});v.focus({preventScroll:true});}}
var g=document.getElementById('goto');if(g)g.addEventListener('click',function(ev){ev.preventDefault();still=[ev.clientX,ev.clientY];hovered=null;gotoViolation();});
document.getElementById('quiet').addEventListener('change',function(ev){
  document.body.classList.toggle('noquiet',!ev.target.checked);
});
})();
`;

/** The HTML page of an execution. */
export function renderHtml(x: Execution): string {
  // Many objects (a long trace has a fence per job): objects whose names differ only in
  // a trailing number share one lifeline, so that the diagram stays a screen or two wide.
  const group = (name: string) => (x.objects.length > MAX_OBJECT_LANES ? name.replace(/\d+$/, '*') : name);
  const lanes: { key: string; name: string; kind: string }[] = x.threads.map((t) => ({ key: `t${t.tid}`, name: t.name, kind: t.engine ? 'engine' : 'thread' }));
  const objLane = new Map<number, string>();
  for (const o of x.objects) {
    const key = `g${group(o.name)}`;
    objLane.set(o.id, key);
    if (!lanes.some((l) => l.key === key)) lanes.push({ key, name: group(o.name), kind: o.kind });
  }
  const laneX = new Map<string, number>();
  lanes.forEach((l, i) => laneX.set(l.key, TEXT_W + 40 + i * LANE_W));
  for (const [id, key] of objLane) laneX.set(`o${id}`, laneX.get(key)!);
  const tx = (tid: number) => laneX.get(`t${tid}`)!;
  const objName = (id: number) => x.objects.find((o) => o.id === id)?.name;
  const endRow = x.violations.some((v) => v.event < 0);
  const rows = x.events.length + (endRow ? 1 : 0);
  const width = TEXT_W + 40 + lanes.length * LANE_W + RIGHT;
  const height = TOP + rows * ROW + 10;
  const y = (i: number) => TOP + i * ROW + ROW / 2;
  const shown = x.violations.find((v) => v.shown);
  const violAt = new Map<number, string[]>();
  for (const v of x.violations) {
    const k = v.event < 0 ? x.events.length : v.event;
    violAt.set(k, [...(violAt.get(k) ?? []), `${v.property} (${v.rule}): ${v.message}`]);
  }

  const labels = laneLabels(lanes.map((l) => l.name));
  const label = new Map(lanes.map((l, k) => [l.key, labels[k]!]));
  const head: string[] = [];
  head.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${HEAD_H}" viewBox="0 0 ${width} ${HEAD_H}" class="lifeline-heads">`);
  head.push(`<text x="6" y="${HEAD_H - 6}" class="lname">#</text><text x="46" y="${HEAD_H - 6}" class="lname">thread</text><text x="156" y="${HEAD_H - 6}" class="lname">event</text>`);
  for (const l of lanes) {
    const lx = laneX.get(l.key)!;
    head.push(`<g class="lifeline-head" data-kind="${l.kind}"><title>${esc(`${l.name} (${l.kind})`)}</title>`
      + `<text x="${lx}" y="16" text-anchor="middle" class="lname">${label.get(l.key)!.map((t, k) => `<tspan x="${lx}" dy="${k ? 13 : 0}">${esc(t)}</tspan>`).join('')}</text>`
      + `<text x="${lx}" y="${HEAD_H - 6}" text-anchor="middle" fill="#777">${l.kind}</text></g>`);
  }
  head.push('</svg>');

  const body: string[] = [];
  body.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" id="diagram">`);
  body.push('<defs>'
    + '<marker id="ah" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L8,4L0,8z" fill="context-stroke"/></marker>'
    + '<marker id="ahb" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="8" markerHeight="8" orient="auto"><path d="M0,0L8,4L0,8z" fill="#ef6c00"/></marker>'
    + '</defs>');
  // rows (hover targets) first, so that lines are drawn over their background
  for (const e of x.events) {
    const cls = ['ev', e.quiet ? 'quiet' : '', violAt.has(e.index) ? 'bad' : '', shown && shown.event === e.index ? 'shown' : '', e.mark === 'revoke returned' ? 'revoke' : ''].filter(Boolean).join(' ');
    const thread = x.threads[e.tid]!.name;
    const text = `${e.short}${e.detail ? ` ${e.detail}` : ''}`;
    const yy = y(e.index);
    body.push(`<g class="${cls}" data-i="${e.index}" data-seq="${e.seq}" tabindex="0"><title>${esc(`#${e.seq} ${thread}: ${e.label}${e.detail ? ` ${e.detail}` : ''}`)}</title>`
      + `<rect class="hit" x="0" y="${yy - ROW / 2}" width="${width}" height="${ROW}"/>`
      + `<text x="6" y="${yy + 4}" fill="#888">${e.seq}</text>${violAt.has(e.index) ? `<text x="28" y="${yy + 4}" class="badlabel" id="v-${e.seq}">✖</text>` : ''}`
      + `<text x="46" y="${yy + 4}">${esc(clip(thread, 15))}</text>`
      + `<text x="156" y="${yy + 4}" class="${violAt.has(e.index) ? 'badlabel' : `c-${e.cls}`}">${esc(clip(text, 44))}</text></g>`);
  }
  if (endRow) {
    const yy = y(x.events.length);
    body.push(`<g class="ev bad${shown && shown.event < 0 ? ' shown' : ''}" data-i="${x.events.length}" tabindex="0"><rect class="hit" x="0" y="${yy - ROW / 2}" width="${width}" height="${ROW}"/><text x="156" y="${yy + 4}" class="badlabel">end of the execution</text></g>`);
  }
  // lifelines
  for (const l of lanes) {
    const lx = laneX.get(l.key)!;
    body.push(`<line class="lane${l.key.startsWith('t') ? ' th' : ''}" data-lane="${esc(l.name)}" x1="${lx}" y1="0" x2="${lx}" y2="${height}"/>`);
  }
  // activations: a scenario step from its call to its return, an engine job from fetch to signal
  for (const c of callSpans(x)) {
    const to = c.to < 0 ? x.events.length - 1 : c.to;
    body.push(`<rect class="call" x="${tx(c.tid) - 5}" y="${y(c.from) - 4}" width="10" height="${y(to) - y(c.from) + 8}" rx="3" fill="#e8eaf6" stroke="#9fa8da"><title>${esc(`${c.name}: ${c.result}`)}</title></rect>`);
  }
  for (const j of jobSpans(x)) {
    body.push(`<rect class="job" x="${tx(j.tid) - 5}" y="${y(j.from) - 4}" width="10" height="${y(j.to) - y(j.from) + 8}" rx="3" fill="#f3e5f5" stroke="#ce93d8"><title>${esc(j.name)}</title></rect>`);
  }
  // held locks: a bar right of the holder's lifeline
  const spans = lockSpans(x);
  const depth = new Map<number, number>();
  for (const s of spans) {
    const d = spans.filter((o) => o.tid === s.tid && o.from < s.from && (o.to < 0 || o.to > s.from)).length;
    depth.set(s.from, d);
    const to = s.to < 0 ? x.events.length - 1 : s.to;
    const name = objName(s.obj) ?? `lock ${s.obj}`;
    body.push(`<rect class="lock" x="${tx(s.tid) + 3 + d * 5}" y="${y(s.from)}" width="4" height="${Math.max(2, y(to) - y(s.from))}" fill="#90a4ae"><title>${esc(`${name} held by ${x.threads[s.tid]!.name}, #${s.from + 1}–${s.to < 0 ? 'end' : `#${s.to + 1}`}`)}</title></rect>`);
  }
  // arrows: event -> object lifelines it touches
  for (const e of x.events) {
    const yy = y(e.index);
    const from = tx(e.tid);
    for (const o of e.objs) {
      const ox = laneX.get(`o${o}`);
      if (ox === undefined) continue;
      const [a, b] = towardObject(e) ? [from, ox] : [ox, from];
      const dir = b > a ? -4 : 4;
      body.push(`<line class="arrow s-${e.cls}" data-i="${e.index}" x1="${a}" y1="${yy}" x2="${b + dir}" y2="${yy}" marker-end="url(#ah)"/>`);
    }
  }
  // happens-before edges between threads
  for (const h of x.hb) {
    const a = x.events[h.from]!, b = x.events[h.to]!;
    const x1 = tx(a.tid), y1 = y(h.from), x2 = tx(b.tid), y2 = y(h.to);
    const bend = Math.min(60, Math.max(16, Math.abs(x2 - x1) / 4));
    const mx = (x1 + x2) / 2 + (x2 > x1 ? bend : -bend) / 2;
    body.push(`<path class="hb" data-from="${h.from}" data-to="${h.to}" d="M${x1},${y1} Q${mx},${(y1 + y2) / 2 - bend} ${x2},${y2 - 3}" marker-end="url(#ahb)"><title>${esc(`happens-before #${h.from + 1} -> #${h.to + 1} via ${objName(h.obj) ?? h.obj}`)}</title></path>`);
  }
  // event dots and the violation marks
  for (const e of x.events) {
    const yy = y(e.index);
    const bad = violAt.has(e.index);
    body.push(`<circle class="dot c-${e.cls}${bad ? ' violation' : ''}" cx="${tx(e.tid)}" cy="${yy}" r="${bad ? 6 : e.quiet ? 2.5 : 3.5}"${bad ? ' fill="#c62828" stroke="#fff" stroke-width="1.5"' : ''}/>`);
  }
  for (const [i, texts] of violAt) {
    const v = x.violations.find((w) => (w.event < 0 ? x.events.length : w.event) === i)!;
    const yy = y(i);
    body.push(`<g class="violation-mark"><title>${esc(texts.join('\n'))}</title><text x="${TEXT_W + 40 + lanes.length * LANE_W - 20}" y="${yy + 4}" class="badlabel">✖ ${esc(`${v.property} (${v.rule})${texts.length > 1 ? ` +${texts.length - 1}` : ''}`)}</text></g>`);
  }
  body.push('</svg>');

  const data = {
    events: x.events.map((e) => ({
      seq: e.seq, thread: x.threads[e.tid]!.name, label: e.label, detail: e.detail, mark: e.mark,
      kind: OpKindName[e.opKind] ?? String(e.opKind), write: e.write,
      objs: e.objs.map((o) => objName(o) ?? `#${o}`), clock: e.clock,
      hbIn: x.hb.filter((h) => h.to === e.index).map((h) => [h.from + 1, x.threads[x.events[h.from]!.tid]!.name, objName(h.obj) ?? String(h.obj)]),
      hbOut: x.hb.filter((h) => h.from === e.index).map((h) => [h.to + 1, x.threads[x.events[h.to]!.tid]!.name, objName(h.obj) ?? String(h.obj)]),
      held: spans.filter((s) => s.tid === e.tid && s.from <= e.index && (s.to < 0 || s.to >= e.index)).map((s) => objName(s.obj) ?? `#${s.obj}`),
      viol: violAt.get(e.index) ?? [],
    })),
  };
  const story = storyHtml(x);
  const banner = shown
    ? `<div class="viol" id="violation"><b>${esc(shown.property)}</b> (rule ${esc(shown.rule)}) at ${shown.event < 0 ? 'the end of the execution' : `event #${shown.event + 1}`}${shown.thread ? ` in ${esc(shown.thread)}` : ''}: ${esc(shown.message)} <a href="#" id="goto">show it</a>`
      + (x.violations.length > 1 ? `<br>also: ${alsoText(x)}` : '') + '</div>'
    : '<div class="ok" id="violation">no violation in this execution</div>';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${esc(x.scenario)}: ${shown ? esc(shown.property) : 'no violation'} — dmabuf-lab</title>
<style>${CSS}body.noquiet .ev.quiet{opacity:.15}${STORY_CSS}</style></head>
<body${story.block ? ' class="story-view"' : ''}>
<header>
<h1>${esc(x.scenario)}</h1>
<div class="desc">${esc(x.description)} <span style="color:#888">(${esc(x.file)})</span></div>
${banner}
<div>schedule <code id="token">${esc(x.token)}</code> — replay: <code>dmabuf-lab replay '${esc(x.token)}'</code></div>
<div class="legend"><span><i style="background:#555"></i>thread / engine lifeline</span><span><i style="background:#bbb"></i>object lifeline</span><span><i style="background:#ef6c00"></i>happens-before</span><span><i style="background:#8e24aa"></i>DMA</span><span><i style="background:#00838f"></i>fence</span><span><i style="background:#90a4ae"></i>lock held</span><span><i style="background:#9fa8da;height:8px"></i>scenario step</span><span><i style="background:#ce93d8;height:8px"></i>engine job</span>
<label><input type="checkbox" id="quiet" checked> bookkeeping steps</label>${story.toggle} · ${x.events.length} events, ${x.threads.length} threads, ${x.objects.length} shared objects, ${x.hb.length} happens-before edges</div>
</header>
${story.block}
<div id="wrap"><div id="head">${head.join('')}</div>
${body.join('\n')}
</div>
<div id="details"></div>
<script type="application/json" id="data">${JSON.stringify(data).replace(/</g, '\\u003c')}</script>
<script>${JS}${STORY_JS}</script>
</body></html>
`;
}

/** The other violations, grouped by property and rule: `dma-after-revoke (P1) at #5, #9`. */
function alsoText(x: Execution): string {
  const groups = new Map<string, string[]>();
  for (const v of x.violations) {
    if (v.shown) continue;
    const k = `${v.property} (${v.rule})`;
    groups.set(k, [...(groups.get(k) ?? []), v.event < 0 ? 'end' : `#${v.event + 1}`]);
  }
  return [...groups].map(([k, at]) => `${esc(k)} at ${at.slice(0, 6).join(', ')}${at.length > 6 ? ` and ${at.length - 6} more` : ''}`).join('; ');
}

const OpKindName: Record<number, string> = {
  [OpKind.Local]: 'local', [OpKind.Read]: 'read', [OpKind.Write]: 'write', [OpKind.Acquire]: 'acquire',
  [OpKind.Release]: 'release', [OpKind.WaitMonotone]: 'wait (monotone)', [OpKind.Wait]: 'wait',
  [OpKind.Signal]: 'signal', [OpKind.Dma]: 'dma',
};
