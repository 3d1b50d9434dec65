// The analytics domain's GraphQL: apps and definitions (with their previews), user sessions.
import "./apps.js";
import "./preview.js";
import "./sessions.js";
import "./in-progress.js";
import "./activity.js";
