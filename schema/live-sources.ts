// Every source of the Live board, in one list: a session kind missing here is missing from the board.
import { liveSources as agent } from "./agent/live.js";
import { liveSources as appointments } from "./appointments/live.js";
import type { LiveSource } from "./live/sources.js";
import { liveSources as work } from "./work/live.js";

export const liveSources: readonly LiveSource[] = [...agent, ...work, ...appointments];
