// Lint: typescript-eslint's recommended rules plus the layering of DESIGN.md as a rule of its
// own ("cni-ts/layering"), so an import that points the wrong way fails `npm test`.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const root = path.dirname(fileURLToPath(import.meta.url));

// The layer a file belongs to: the entry (plugins/main.ts, plugins/registry.ts), one plugin
// (plugins/<name>/...), or one lib folder (lib/<folder>/...).
function layerOf(file) {
  const rel = path.relative(root, file).split(path.sep);
  if (rel[0] === 'plugins') {
    // A plugin folder itself ('../host-local') is the plugin; files beside the folders are the entry.
    const isFolder = rel.length > 2 || (rel.length === 2 && fs.statSync(file, { throwIfNoEntry: false })?.isDirectory());
    return isFolder ? { kind: 'plugin', name: rel[1] } : { kind: 'entry' };
  }
  if (rel[0] === 'lib') return { kind: 'lib', name: rel[1] };
  return { kind: 'other' };
}

// lib folders that must not import each other: the protocol knows nothing of the kernel and the
// kernel layers know nothing of CNI. Everything in lib may use lib/ip (address math).
const LIB_MAY_IMPORT = {
  ip: ['ip'],
  cni: ['cni', 'ip'],
  net: ['net', 'netlink', 'ip'],
  netlink: ['netlink', 'net', 'ip'],
  netfilter: ['netfilter', 'net', 'netlink', 'ip'],
  kit: ['kit', 'cni', 'net', 'netlink', 'netfilter', 'ip'],
  cli: ['cli', 'cni', 'ip'],
};

// Only the kernel driver, IPAM delegation (the spec execs the IPAM binary) and the CLI (which
// runs plugins the way a runtime does) start processes.
const MAY_SPAWN = ['lib/net/', 'lib/cni/invoke.ts', 'lib/cli/'];

function violation(from, to) {
  if (from.kind === 'lib' && to.kind !== 'lib' && to.kind !== 'other') return 'lib/ never imports plugins/ or the entry';
  if (from.kind === 'lib' && to.kind === 'lib') {
    const allowed = LIB_MAY_IMPORT[from.name];
    if (!allowed) return `lib/${from.name} is not a known layer: add it to LIB_MAY_IMPORT in eslint.config.mjs`;
    if (!allowed.includes(to.name)) return `lib/${from.name} may import only lib/{${allowed.join(',')}}, not lib/${to.name}`;
  }
  if (from.kind === 'plugin' && to.kind === 'entry') return 'a plugin never imports the entry or the registry';
  if (from.kind === 'plugin' && to.kind === 'plugin' && to.name !== from.name) {
    return `plugin ${from.name} imports plugin ${to.name}: share through lib/kit, or reach it by delegation`;
  }
  return undefined;
}

const layering = {
  meta: { type: 'problem', schema: [], docs: { description: 'import arrows point down (DESIGN.md layout)' } },
  create(context) {
    const file = context.filename;
    const from = layerOf(file);
    const relFile = path.relative(root, file);
    const check = (node, spec) => {
      if (typeof spec !== 'string') return;
      if (spec === 'node:child_process' || spec === 'child_process') {
        if (relFile.startsWith('lib/') || relFile.startsWith('plugins/')) {
          if (!MAY_SPAWN.some((p) => relFile.startsWith(p))) {
            context.report({ node, message: `only ${MAY_SPAWN.join(', ')} start processes (kernel work goes through lib/net)` });
          }
        }
        return;
      }
      if (!spec.startsWith('.')) return;
      const why = violation(from, layerOf(path.resolve(path.dirname(file), spec)));
      if (why) context.report({ node, message: `${spec}: ${why}` });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      // Lazy require() and import('...') types count the same.
      CallExpression: (node) => {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require' && node.arguments[0]?.type === 'Literal') {
          check(node, node.arguments[0].value);
        }
      },
      TSImportType: (node) => {
        const arg = node.argument?.literal ?? node.argument;
        if (arg?.type === 'Literal') check(node, arg.value);
      },
    };
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.test-results/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { 'cni-ts': { rules: { layering } } },
    rules: {
      'cni-ts/layering': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Tests read plugin output as untyped JSON.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        URL: 'readonly',
        performance: 'readonly',
        __dirname: 'readonly',
        module: 'writable',
        require: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
