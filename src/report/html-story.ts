/**
 * The story view of the HTML report: the few rows the shown violation depends on
 * (check/story.ts) as a small grid, one column a thread, shown by default; a toggle
 * switches to the full sequence diagram (and back), and a story row opens the diagram at
 * its event. Self-contained like the page: no fetch, the same bytes for the same execution.
 */
import type { Execution } from './execution.ts';
import { esc } from './html.ts';

export const STORY_CSS = `
#story{padding:8px 16px}
#story table{border-collapse:collapse;font:12px ui-monospace,monospace}
#story th{font-weight:bold;text-align:center;padding:2px 8px;border-bottom:1px solid #ccc;white-space:nowrap}
#story th.text{text-align:left}
#story td{padding:3px 8px;border-bottom:1px solid #f0f0f0;vertical-align:top}
#story td.seq{color:#888;text-align:right}
#story td.lane{text-align:center;border-left:1px solid #ddd;color:#555;min-width:60px}
#story tr.story-row{cursor:pointer}
#story tr.story-row:hover td{background:#fff8c4}
#story tr.violation td{background:#fdecea}
#story tr.violation td.text{color:#b71c1c;font-weight:bold}
#story tr.cause td{background:#fff0c2}
#story tr.cause td.text{color:#e65100;font-weight:bold}
#story .pair{margin:8px 0 2px;font-weight:bold}
#story .note{color:#777}
.viewtoggle{margin-left:8px}
body.story-view #wrap{display:none}
body:not(.story-view) #story{display:none}
`;

export const STORY_JS = `
(function(){
var t=document.getElementById('fullview');if(!t)return;
function full(on){document.body.classList.toggle('story-view',!on);t.checked=on;}
t.addEventListener('change',function(){full(t.checked);});
document.querySelectorAll('#story tr.story-row').forEach(function(r){
  r.addEventListener('click',function(){
    full(true);
    var ev=document.querySelector('.ev[data-seq="'+r.getAttribute('data-seq')+'"]');
    if(ev){ev.scrollIntoView({block:'center'});ev.dispatchEvent(new MouseEvent('click'));}
  });
});
var g=document.getElementById('goto');if(g)g.addEventListener('click',function(){full(true);},true);
})();
`;

/** The story block and the toggle of `x`; empty strings when it has no story. */
export function storyHtml(x: Execution): { block: string; toggle: string } {
  const s = x.story;
  if (!s) return { block: '', toggle: '' };
  const lanes: string[] = [];
  for (const r of s.rows) if (!lanes.includes(r.thread)) lanes.push(r.thread);
  const shown = x.violations.find((v) => v.shown);
  const rows = s.rows.map((r) => {
    const cells = lanes.map((l) => `<td class="lane">${l === r.thread ? '●' : ''}</td>`).join('');
    const mark = r.mark === 'violation' && shown ? ` ← ${shown.property} (${shown.rule})` : r.mark === 'cause' ? ' ← cause' : '';
    const span = r.from !== r.to ? ` <span class="note">[${r.from}–${r.to}]</span>` : '';
    return `<tr class="story-row${r.mark ? ` ${r.mark}` : ''}" data-seq="${r.seq}"><td class="seq">${r.seq}</td>${cells}<td class="text">${esc(r.text + mark)}${span}</td></tr>`;
  });
  if (shown && shown.event < 0) rows.push(`<tr class="violation"><td class="seq">end</td>${lanes.map(() => '<td class="lane"></td>').join('')}<td class="text">${esc(`${shown.property} (${shown.rule}) at the end of the execution`)}</td></tr>`);
  const head = `<tr><th>#</th>${lanes.map((l) => `<th>${esc(l)}</th>`).join('')}<th class="text">what happened</th></tr>`;
  const left = s.omitted ? `, ${s.omitted} more left out` : '';
  const block = `<section id="story"><table><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`
    + (s.pair ? `<div class="pair" id="pair">${esc(s.pair.text)}</div>` : '')
    + `<div class="note">the story: ${s.rows.length} rows for ${s.events.length} of ${x.events.length} events${left}; a row opens the full diagram at its event</div></section>`;
  const toggle = `<label class="viewtoggle"><input type="checkbox" id="fullview"> every event (${x.events.length})</label>`;
  return { block, toggle };
}
