// A Schedule's expression as Velero's robfig/cron ParseStandard takes it: five fields, descriptors, and @every.
import assert from "node:assert/strict";
import { test } from "node:test";
import { backupScheduleError, nextRunTime } from "./cron.js";

const cases = [
  { schedule: "0 1 * * *", want: undefined },
  { schedule: "@daily", want: undefined },
  { schedule: "@every 5s", want: undefined },
  { schedule: "@every 1h30m", want: undefined },
  { schedule: "@every often", want: /failed to parse duration @every often/ },
  { schedule: "every day", want: /expected exactly 5 fields, found 2/ },
];
for (const c of cases) {
  test(`"${c.schedule}" is ${c.want ? "refused" : "accepted"}`, () => {
    const problem = backupScheduleError(c.schedule);
    if (c.want) assert.match(problem ?? "", c.want);
    else assert.equal(problem, undefined);
  });
}

test("@every's next run drops the sub-second part of the last one", () => {
  assert.equal(
    nextRunTime("@every 5s", new Date("2026-01-01T00:00:00.750Z")).toISOString(),
    "2026-01-01T00:00:05.000Z",
  );
});
