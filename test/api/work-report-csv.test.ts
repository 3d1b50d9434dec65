// The monthly CSV report as payroll reads it: a clerk sums a column and must get the total row.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok } from "../support/client.js";
import { calendar, instant, isoMonth } from "../support/dates.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

let stack: Stack;
let url: string;
let ws: TestWorkspace;
beforeAll(async () => {
  stack = await startStack();
  url = stack.urls[0];
  ws = await newWorkspace(url, "Europe/Berlin");
});
afterAll(() => stack?.stop());

// Wednesday of the second week of last month: it and the two days after it stay in one past month.
const D = calendar("Europe/Berlin").firstMondayOf(-1).plus({ days: 9 });
const ADD = `mutation($e: ID!, $s: DateTime!, $t: DateTime!) { addManualTime(input: { employeeId: $e, start: $s, end: $t }) { __typename } }`;

describe("the monthly CSV report", () => {
  it("has days that add up to the total in every column: three days of 20 minutes are 0.34, 0.33 and 0.33 hours", async () => {
    const manager = { token: ws.manager.token };
    for (const days of [0, 1, 2]) {
      const added = await ok(url, ADD, { e: ws.employee.id, s: instant(D.plus({ days }), "09:00"), t: instant(D.plus({ days }), "09:20") }, manager);
      expect(added.addManualTime.__typename).toBe("WorkSession");
    }
    const csv = await fetch(`${url}/api/work/report.csv?month=${isoMonth(D)}&employee=${encodeURIComponent(ws.employee.id)}`, { headers: { authorization: `Bearer ${ws.manager.token}` } });
    expect(csv.status).toBe(200);
    const [header, ...rows] = (await csv.text()).trim().split("\n").map((line) => line.split(","));
    const days = rows.filter((r) => /^\d{4}-/.test(r[1]));
    const total = rows.find((r) => r[1] === "total")!;
    const net = header.indexOf("net_hours");
    expect(days.map((r) => r[net])).toEqual(["0.34", "0.33", "0.33"]);
    expect(total[net]).toBe("1.00");
    expect(total[header.indexOf("manual_hours")]).toBe("1.00");
    // Every column, summed in hundredths as a spreadsheet shows them.
    for (let column = 2; column < header.length; column++) {
      const sum = days.reduce((hundredths, r) => hundredths + Math.round(Number(r[column]) * 100), 0);
      expect(sum, header[column]).toBe(Math.round(Number(total[column]) * 100));
    }
  });
});
