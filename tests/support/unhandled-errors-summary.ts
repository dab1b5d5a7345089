import path from "node:path";
import type { Reporter, SerializedError, TestModule } from "vitest/node";

/**
 * Repeats each unhandled error in a few lines after the run's summary. Vitest prints them in
 * full above the summary, where a CI log that keeps only its tail cuts them off; these lines
 * say what the error was and where it came from, so a flaky one can be found from that tail.
 */
export default class UnhandledErrorsSummary implements Reporter {
  onTestRunEnd(_modules: ReadonlyArray<TestModule>, errors: ReadonlyArray<SerializedError>): void {
    if (errors.length === 0) return;
    const lines = errors.flatMap((error, index) => {
      const file = typeof error.VITEST_TEST_PATH === "string" ? path.relative(process.cwd(), error.VITEST_TEST_PATH) : undefined;
      const origin = [file, error.VITEST_TEST_NAME].filter((part) => typeof part === "string").join(" › ");
      const frames = (error.stack ?? "")
        .split("\n")
        .filter((line) => line.trim().startsWith("at "))
        .slice(0, 6)
        .map((line) => `      ${line.trim()}`);
      return [`  ${index + 1}. ${error.name ?? "Error"}: ${error.message}${origin ? `  [${origin}]` : ""}`, ...frames];
    });
    process.stderr.write(`\nUnhandled errors, in short (${errors.length}):\n${lines.join("\n")}\n`);
  }
}
