// ESLint flat config: the recommended JS + typescript-eslint rules (not type-checked, so a lint
// of the whole repo stays cheap on a 2-core machine), and the import boundaries between layers.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** Relative imports that climb out of the current folder tree into `dir` at the repo root. */
const climbInto = (dirs) => `^(\\.\\./)+(${dirs.join('|')})(/|$)`;

export default defineConfig(
  // tmp/ and .gpu/ are git-ignored scratch (device bundles, experiments), never part of a clone.
  globalIgnores(['dist/', 'runs/', 'coverage/', '.cache/', 'models/', 'bench/results/', '**/*.onnx', 'tmp/', '.gpu/']),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      // `_`-prefixed names mark parameters and destructured leftovers that are unused on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Errors are rethrown as one-line user-facing messages that already quote the cause's text.
      'preserve-caught-error': 'off',
      // Flags the deliberate `img = undefined` that drops a large image before the next allocation.
      'no-useless-assignment': 'off',
      // A warning, not an error: the checkpoint loader types parsed JSON as `any` and then checks
      // it field by field; elsewhere code uses `unknown` or a disable comment saying why.
      '@typescript-eslint/no-explicit-any': 'warn',
    },
  },
  {
    // The app and the pure core never reach into the Node-only training pipeline, the tests or
    // the benchmarks: those import src/, not the other way round.
    files: ['src/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ regex: climbInto(['training', 'tests', 'bench']), message: 'src/ must not import from training/, tests/ or bench/.' }],
      }],
    },
  },
  {
    // src/core is pure: it imports only its own files and the two image codecs (no DOM, no Node;
    // src/core/tsconfig.json enforces the same for the libraries it may use).
    files: ['src/core/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { regex: '(^|/)\\.\\.(/|$)', message: 'src/core imports nothing outside src/core.' },
          { regex: '^(?!\\.|fast-png$|jpeg-js$)', message: 'src/core may import only fast-png and jpeg-js among packages.' },
        ],
      }],
    },
  },
  {
    // Unit tests stay independent of the browser e2e suite; shared helpers live in tests/helpers.
    files: ['tests/unit/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ regex: climbInto(['e2e', 'tests/e2e']), message: 'tests/unit must not import from tests/e2e; move shared code to tests/helpers.' }],
      }],
    },
  },
);
