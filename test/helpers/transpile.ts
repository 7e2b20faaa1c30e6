// Worker threads need JavaScript: tests that start workers transpile the sources they load (with
// the TypeScript compiler API, no type check) into a per-process directory under node_modules, so
// that `@tensorflow/tfjs` and the other dependencies resolve from there.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const srcDir = join(dirname(dirname(dirname(fileURLToPath(import.meta.url)))), 'src');

/** A transpiled copy of `src/<dirs>` (every non-test `.ts` file, recursively); `remove` deletes it. */
export function transpileSources(
  name: string,
  dirs: readonly string[],
): { readonly outDir: string; remove(): void } {
  const outDir = join(srcDir, '..', 'node_modules', '.cache', name, String(process.pid));
  const walk = (rel: string): void => {
    mkdirSync(join(outDir, rel), { recursive: true });
    for (const e of readdirSync(join(srcDir, rel), { withFileTypes: true })) {
      const path = join(rel, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.name.endsWith('.ts') && !e.name.includes('.test')) {
        const js = ts.transpileModule(readFileSync(join(srcDir, path), 'utf8'), {
          compilerOptions: {
            module: ts.ModuleKind.ESNext,
            target: ts.ScriptTarget.ES2022,
            verbatimModuleSyntax: true,
          },
        }).outputText;
        writeFileSync(join(outDir, path.replace(/\.ts$/, '.js')), js);
      }
    }
  };
  for (const d of dirs) walk(d);
  return { outDir, remove: () => rmSync(outDir, { recursive: true, force: true }) };
}
