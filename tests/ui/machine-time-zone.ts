import { afterEach, beforeEach } from "vitest";

/**
 * Runs the enclosing describe's tests on a machine (a browser, a server) in `timeZone`, so a
 * test shows its result does not depend on where the code runs. Node rereads TZ when it is set.
 */
export function onMachineInTimeZone(timeZone: string): void {
  const machineTimeZone = process.env.TZ;
  beforeEach(() => {
    process.env.TZ = timeZone;
  });
  afterEach(() => {
    if (machineTimeZone === undefined) delete process.env.TZ;
    else process.env.TZ = machineTimeZone;
  });
}
