import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/node_modules/", "**/dist/", "service/dist-*/", ".tools/", "out/", "coverage/", "bench/results/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-console": "off",
    },
  },
  {
    // Layers point one way: only the HTTP layer itself and the composition root (runtime/, main.ts) may import
    // http/; the application layer raises service/src/errors.ts and http/ maps it to status codes.
    files: ["service/src/**/*.ts"],
    ignores: ["service/src/http/**", "service/src/runtime/**", "service/src/main.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["**/http", "**/http/*", "**/http/**"], message: "only http/ and runtime/ may import the HTTP layer" }] },
      ],
    },
  },
  {
    files: ["web/src/**/*.{ts,tsx}"],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ["test/**/*.ts"],
    languageOptions: { globals: { ...globals.mocha } },
  },
);
