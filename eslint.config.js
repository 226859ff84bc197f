import js from '@eslint/js'
import tseslint from 'typescript-eslint'

/** The TypeScript that tsconfig.json compiles: linted with type information. */
const TYPED = ['src/**/*.ts', 'scripts/**/*.ts', 'test/**/*.ts', 'simulator/**/*.ts']

export default tseslint.config(
  { ignores: ['dist/', 'lib/', 'node_modules/', 'coverage/', 'reports/', '.stryker-tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }]
    }
  },
  {
    // As actions/checkout does: promises awaited or handled, and every case of a union handled.
    files: TYPED,
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname }
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // A `default:` counts as handling the cases it does not name.
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true }
      ]
    }
  },
  {
    // The tests of an e2e file run concurrently (vitest.config.ts): a hook of the file runs after
    // or before every test, and would close a server another test is still using. What a test
    // starts, fixture.ts closes after that test (afterTest, simulator, fakeGitHub).
    files: ['test/e2e/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'vitest',
              importNames: ['afterEach', 'beforeEach'],
              message:
                "The tests of a file run concurrently: close what a test starts with fixture.ts's afterTest."
            }
          ]
        }
      ]
    }
  }
)
