import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "src/csi/generated/", "**/testdata/"] },
  js.configs.recommended,
  // The dependency checker's config is CommonJS, as dependency-cruiser loads it.
  { files: ["**/*.cjs"], languageOptions: { sourceType: "commonjs", globals: { module: "writable" } } },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-constant-condition": ["error", { checkLoops: false }],
    },
  },
  {
    // A file per idea, a function per step: past these sizes, look for the second idea (STYLE.md). Tests and the
    // test worlds they build on are long lists of cases and setup steps, so they are measured by review instead.
    files: ["src/**/*.ts", "src/**/*.tsx", "bench/**/*.ts"],
    ignores: ["**/*.test.ts", "**/testing/**", "src/e2e/**"],
    rules: {
      "max-lines": ["error", { max: 400 }],
      "max-lines-per-function": ["error", { max: 100 }],
    },
  },
);
