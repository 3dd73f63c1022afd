// Bundles the CLI into dist/ so start-up loads a few files instead of hundreds.
// Heavy modules (prompts, tables, CSV) stay in separate chunks loaded on first use.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  external: ['better-sqlite3'],
  banner: {
    js: "import { createRequire as __accessctlCreateRequire } from 'node:module'; const require = __accessctlCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});

// The benchmark is bundled on its own, outside the CLI's dist/.
if (process.argv.includes('--bench')) {
  await build({
    entryPoints: ['bench/run.ts'],
    outfile: 'bench/dist/run.mjs',
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['better-sqlite3'],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'warning',
  });
}
