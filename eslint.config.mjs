import nextCoreWebVitals from "eslint-config-next/core-web-vitals";
import nextTypescript from "eslint-config-next/typescript";

const config = [
  ...nextCoreWebVitals,
  ...nextTypescript,
  {
    ignores: [".next/**", "node_modules/**", ".data/**", "server/db/generated/**", "e2e-artifacts/**", "test-results/**", "next-env.d.ts"],
  },
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-syntax": [
        "error",
        { selector: "CallExpression[callee.name='parseFloat']", message: "Money is integer micro-units: never parse it as a float." },
      ],
    },
  },
  {
    // Domain services stay free of transport and UI frameworks (DESIGN.md).
    files: ["server/**/*.ts"],
    ignores: ["server/trpc/**", "server/auth/options.ts", "server/auth/session.ts", "server/auth/guards.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["@trpc/*", "next", "next/*", "react", "react-dom", "@/app/*", "@/components/*"], message: "Domain code must not import tRPC, Next.js or React." }] },
      ],
    },
  },
];

export default config;
