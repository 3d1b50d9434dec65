// The analytics domain's GraphQL: apps and definitions, user sessions.
import "./apps.js";
import "./sessions.js";
import "./in-progress.js";
import "./activity.js";
