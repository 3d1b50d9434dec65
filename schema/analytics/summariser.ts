// The summariser behind finalisation: deterministic by default.
import { summarise as deterministic, type Summary, type SummaryInput } from "./rules.js";

export async function summarise(input: SummaryInput): Promise<Summary> {
  return deterministic(input);
}
