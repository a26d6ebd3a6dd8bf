/**
 * Build-time compiler from the restricted `function*` subset to explicit frames over the
 * state store (docs/design.md "Authoring models: compiled function* subset").
 *
 * Every top-level `function*` of a source file is compiled; other declarations are plain
 * helpers the compiled code calls as they are. A compiled function becomes one `FrameFn`
 * (src/sim/frames.ts): a `switch` over program points whose locals live in the frame's
 * store slots. Each `yield op` and each `yield* f(k, ...)` ends a program point. Anything
 * outside the subset is refused with `file:line:column: construct: why`.
 *
 * Run by `npm run frames` (writes `X.frames.ts` next to each source) and checked by
 * test/frames.test.ts (the committed output must equal a fresh compile). It is
 * never imported by the CLI.
 */
import ts from 'typescript';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { subsetFunctions } from './frames-ast.ts';
import { FnCompiler } from './frames-function.ts';
import { Refusal, type ModuleCtx } from './frames-module.ts';
import { compileHelper, touchesView } from './frames-helper.ts';
import { refTarget, structShape } from './frames-view.ts';

/** The sources compiled by `npm run frames`, relative to the project root. */
export const FRAME_SOURCES = [
  'src/sim/frame-mutex.ts', 'src/sim/frame-completion.ts', 'src/kernel/frame-fence.ts', 'src/kernel/frame-resv.ts', 'src/kernel/frame-ww.ts',
  'src/kernel/frame-dma-buf.ts', 'src/kernel/frame-attach.ts', 'src/kernel/frame-pin.ts', 'src/kernel/frame-mapping.ts',
  'src/hw/frame-region.ts', 'src/hw/frame-oracle.ts', 'src/hw/frame-prefetch.ts', 'src/hw/frame-iommu.ts', 'src/hw/frame-engine.ts',
  'test/frames/progs.ts', 'test/frames/sync-progs.ts', 'test/frames/fence-progs.ts', 'test/frames/resv-progs.ts', 'test/frames/invoke-progs.ts', 'test/frames/buf-progs.ts', 'test/frames/hw-progs.ts', 'bench/stateful/revoke-frames.ts',
  'src/drivers/frame-vfio-pci.ts', 'src/drivers/frame-vfio-revoke.ts', 'src/drivers/frame-vfio-ops.ts', 'src/drivers/frame-importer.ts', 'src/drivers/frame-gpu-dynamic.ts',
  'src/drivers/frame-gpu-invalidate.ts', 'src/drivers/frame-gpu-release.ts', 'src/drivers/frame-iommufd.ts', 'src/drivers/frame-iommufd-ops.ts', 'src/drivers/frame-rdma-pinned.ts', 'src/drivers/frame-rdma-pinned-ops.ts', 'src/drivers/frame-rdma-odp.ts', 'src/drivers/frame-rdma-odp-ops.ts', 'src/drivers/frame-static.ts', 'src/scenario/frame-steps.ts',
];

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true, allowImportingTsExtensions: true, noEmit: true, skipLibCheck: true, types: [],
};
/** lib and dependency files parsed once per process (tests compile many small sources) */
const parsed = new Map<string, ts.SourceFile>();

export interface FrameCompileResult {
  /** the generated module, or '' when there are errors */
  readonly code: string;
  /** `file:line:column: construct: why`, in source order */
  readonly errors: readonly string[];
}

function program(file: string, text: string | undefined): ts.Program {
  const host = ts.createCompilerHost(OPTIONS);
  const get = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, onError) => {
    if (text !== undefined && resolve(name) === file) return ts.createSourceFile(name, text, lang, true);
    const hit = parsed.get(name);
    if (hit) return hit;
    const sf = get(name, lang, onError);
    if (sf && !resolve(name).startsWith(resolve(dirname(file)))) parsed.set(name, sf);
    return sf;
  };
  if (text !== undefined) {
    const exists = host.fileExists.bind(host);
    const read = host.readFile.bind(host);
    host.fileExists = (name) => resolve(name) === file || exists(name);
    host.readFile = (name) => (resolve(name) === file ? text : read(name));
  }
  return ts.createProgram([file], OPTIONS, host);
}

/**
 * Compiles the subset functions of `fileName` (or of `text`, taken as that file's
 * contents). `yield*` may call into the files of `sources` (relative to the project root),
 * whose generated modules sit next to them.
 */
export function compileFrames(fileName: string, text?: string, sources: readonly string[] = FRAME_SOURCES): FrameCompileResult {
  const file = resolve(fileName);
  const prog = program(file, text);
  const sf = prog.getSourceFile(file);
  if (!sf) return { code: '', errors: [`${fileName}: cannot read the file`] };
  const checker = prog.getTypeChecker();
  const display = relative(ROOT, file);
  const frameSources = new Set([...sources.map((f) => resolve(ROOT, f)), file]);
  const errors: string[] = [];
  const at = (n: ts.Node): string => {
    const p = sf.getLineAndCharacterOfPosition(n.getStart(sf));
    return `${display}:${p.line + 1}:${p.character + 1}`;
  };
  for (const d of ts.getPreEmitDiagnostics(prog, sf)) {
    if (d.category !== ts.DiagnosticCategory.Error || d.file !== sf || d.start === undefined) continue;
    const p = sf.getLineAndCharacterOfPosition(d.start);
    errors.push(`${display}:${p.line + 1}:${p.character + 1}: type error: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  }
  if (errors.length > 0) return { code: '', errors };

  const gens = subsetFunctions(sf);
  const fnIds = new Map<ts.Symbol, number>();
  gens.forEach((g, i) => fnIds.set(checker.getSymbolAtLocation(g.name!)!, i));
  const helperOf = new Map<ts.FunctionDeclaration, boolean>();
  const deciding = new Set<ts.FunctionDeclaration>();
  let cycles = false;
  const ctx: ModuleCtx = {
    sf, checker, fnIds, gens, imports: new Map(), runtime: new Set(), usesSrc: false, frameSources, deps: new Map(),
    display: (f) => relative(ROOT, f),
    isHelper: (d) => {
      const known = helperOf.get(d);
      if (known !== undefined) return known;
      // a function being decided counts as no helper for the calls inside it (a recursion
      // alone does not make one); an answer that relied on that is not kept, except the
      // outermost, which is final
      if (deciding.has(d)) { cycles = true; return false; }
      const outer = deciding.size === 0;
      if (outer) cycles = false;
      deciding.add(d);
      const h = !d.asteriskToken && ts.isSourceFile(d.parent) && frameSources.has(resolve(d.getSourceFile().fileName)) && touchesView(checker, d, ctx.isHelper);
      deciding.delete(d);
      if (outer || !cycles) helperOf.set(d, h);
      return h;
    },
  };
  const bodies: string[] = [];
  const structs = structsOf(sf, checker, errors, at);
  for (const h of sf.statements) {
    if (!ts.isFunctionDeclaration(h) || !ctx.isHelper(h)) continue;
    try {
      bodies.push(compileHelper(ctx, h));
    } catch (e) {
      if (!(e instanceof Refusal)) throw e;
      errors.push(`${at(e.node)}: ${e.construct}: ${e.why}`);
    }
  }
  let width = 2;
  const values: string[] = [];
  for (const g of gens) {
    try {
      const c = new FnCompiler(ctx, g);
      bodies.push(c.compile());
      values.push(c.values.join(''));
      width = Math.max(width, 2 + c.locals);
    } catch (e) {
      if (!(e instanceof Refusal)) throw e;
      errors.push(`${at(e.node)}: ${e.construct}: ${e.why}`);
    }
  }
  ts.forEachChild(sf, function nested(n) {
    if (ts.isFunctionLike(n) && 'asteriskToken' in n && n.asteriskToken && !gens.includes(n as ts.FunctionDeclaration)) {
      errors.push(`${at(n)}: nested function*: only top-level function* declarations are compiled`);
    }
    ts.forEachChild(n, nested);
  });
  if (errors.length > 0) return { code: '', errors };
  return { code: emitModule(ctx, display, file, bodies, width, values, structs), errors };
}

/**
 * The structs of a file: its interfaces some `Ref<T>` of the file names, with their
 * fields in slot order (a field that is not a number, a boolean or a `Ref` is refused).
 */
function structsOf(sf: ts.SourceFile, checker: ts.TypeChecker, errors: string[], at: (n: ts.Node) => string): Map<string, { fields: string[]; values: string }> {
  const out = new Map<string, { fields: string[]; values: string }>();
  ts.forEachChild(sf, function walk(n) {
    if (ts.isTypeReferenceNode(n)) {
      const target = refTarget(checker.getTypeAtLocation(n));
      const d = target?.symbol?.declarations?.[0];
      if (target && d && ts.isInterfaceDeclaration(d) && d.getSourceFile() === sf && !out.has(d.name.text)) {
        const shape = structShape(checker, target);
        if (shape.bad) errors.push(`${at(d)}: struct field \`${d.name.text}.${shape.bad}\`: a struct's fields are numbers, booleans or Refs (one store slot each)`);
        const idx = [...shape.values].findIndex((v) => v === 'i' || v === 't');
        if (idx >= 0) errors.push(`${at(d)}: struct field \`${d.name.text}.${shape.fields[idx]}\` holds an importer or thread index: a field keeps ImpContext (index + 1, 0 none), only locals are stored + 1 for you`);
        out.set(d.name.text, { fields: shape.fields, values: shape.values });
      }
    }
    ts.forEachChild(n, walk);
  });
  return out;
}

function emitModule(ctx: ModuleCtx, display: string, file: string, bodies: string[], width: number, values: string[], structs: Map<string, { fields: string[]; values: string }>): string {
  let rt = relative(dirname(file), resolve(ROOT, 'src/sim/frames.ts'));
  if (!rt.startsWith('.')) rt = `./${rt}`;
  const names = ctx.gens.map((g) => g.name!.text);
  const lines = [
    `// Generated by scripts/compile-frames.ts from ${display}: do not edit (\`npm run frames\` rewrites it).`,
    `import { ${[...ctx.runtime].sort().join(', ')}, type FrameModule, type FrameRunCtx } from '${rt}';`,
  ];
  if (structs.size > 0) {
    let st = relative(dirname(file), resolve(ROOT, 'src/sim/struct.ts'));
    if (!st.startsWith('.')) st = `./${st}`;
    ctx.imports.set('StructShape', { spec: `'${st}'`, text: 'type StructShape', named: true });
  }
  const bySpec = new Map<string, string[]>();
  for (const im of ctx.imports.values()) {
    if (!im.named) lines.push(`import ${im.text} from ${im.spec};`);
    else bySpec.set(im.spec, [...(bySpec.get(im.spec) ?? []), im.text]);
  }
  const order = (a: string) => a.replace(/^type /, '');
  for (const [spec, names] of [...bySpec].sort()) lines.push(`import { ${names.sort((a, b) => (order(a) < order(b) ? -1 : 1)).join(', ')} } from ${spec};`);
  for (const d of [...ctx.deps.values()].sort((a, b) => (a.spec < b.spec ? -1 : 1))) lines.push(`import { FN as ${d.fn}, frames as ${d.mod} } from ${d.spec};`);
  if (ctx.usesSrc) lines.push(`import * as src from './${basename(file)}';`);
  lines.push('', `/** function ids, the \`fn\` slot of a frame */`, `export const FN = { ${names.map((n, i) => `${n}: ${i}`).join(', ')} } as const;`, '');
  if (structs.size > 0) {
    lines.push(`/** the structs of the file: slot count and fields in slot order, for layouts (src/sim/struct.ts) */`,
      `export const STRUCTS = {`, ...[...structs].map(([n, f]) => `  ${n}: { width: ${f.fields.length}, fields: [${f.fields.map((x) => `'${x}'`).join(', ')}], values: '${f.values}' },`), `} satisfies Record<string, StructShape>;`, '');
  }
  lines.push(...bodies);
  lines.push(`export const frames: FrameModule = {`, `  source: '${display}',`, `  names: [${names.map((n) => `'${n}'`).join(', ')}],`,
    `  params: [${ctx.gens.map((g) => g.parameters.length - 1).join(', ')}],`, `  width: ${width},`, `  values: [${values.map((v) => `'${v}'`).join(', ')}],`,
    `  fns: [${names.map((n) => `${n}$frames`).join(', ')}],`, `  deps: () => [${[...ctx.deps.values()].map((d) => d.mod).join(', ')}],`, `};`, '');
  return lines.join('\n');
}

/** `npm run frames [--check] [files...]`: writes (or checks) `X.frames.ts` next to each source; exit 2 on refusals. */
function main(argv: string[]): number {
  const check = argv.includes('--check');
  const files = argv.filter((a) => a !== '--check');
  let status = 0;
  for (const f of files.length > 0 ? files : FRAME_SOURCES.map((s) => resolve(ROOT, s))) {
    const r = compileFrames(f);
    for (const e of r.errors) console.error(e);
    if (r.errors.length > 0) { status = 2; continue; }
    const out = f.replace(/\.ts$/, '.frames.ts');
    if (!check) writeFileSync(out, r.code);
    else if (readFileSync(out, 'utf8') !== r.code) { console.error(`${relative(ROOT, out)}: stale, run npm run frames`); status = 1; }
  }
  return status;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) process.exitCode = main(process.argv.slice(2));
