// The Analytics settings page's data: apps and their write keys, the inactivity window, and each
// app's business-event and flow definitions, previewed against the last day's sessions before saving.
import type {
  AnalyticsAppSetupFragment,
  BusinessEventDefinitionInput,
  ConditionOp,
  FlowDefinitionInput,
  PreviewBusinessEventQuery,
  PreviewFlowQuery,
} from "./generated/graphql";
import { gql, graphql, unwrap } from "./graphql";

export type { BusinessEventDefinitionInput, ConditionOp, FlowDefinitionInput };

graphql(`
  fragment AnalyticsAppSetup on AnalyticsApp {
    id name internal internalUserIds retentionMonths createdAt
    businessEventDefinitions { id name eventName conditions { property op value } descriptionTemplate parameters isError }
    flowDefinitions { id name steps errorEvents repeatedStepIsMistake stepBackIsMistake }
  }
`);

export type App = AnalyticsAppSetupFragment;
export type BusinessEventDefinition = App["businessEventDefinitions"][number];
export type FlowDefinition = App["flowDefinitions"][number];
export type BusinessEventPreview = Extract<PreviewBusinessEventQuery["previewBusinessEventDefinition"], { __typename: "BusinessEventDefinitionPreview" }>;
export type FlowPreview = Extract<PreviewFlowQuery["previewFlowDefinition"], { __typename: "FlowDefinitionPreview" }>;

export const CONDITION_OPS: [ConditionOp, string][] = [
  ["EQ", "equals"],
  ["NEQ", "differs from"],
  ["EXISTS", "is present"],
  ["CONTAINS", "contains"],
  ["GT", "is more than"],
  ["LT", "is less than"],
];

/** A workspace has a handful of apps: 50 with their definitions stay within the API's cost limit (100 don't). */
export async function fetchAnalyticsSetup(): Promise<{ apps: App[]; inactivityMinutes: number }> {
  const data = await gql(
    graphql(`query AnalyticsSetup { analyticsApps(first: 50) { nodes { ...AnalyticsAppSetup } } analyticsSettings { inactivityMinutes } }`),
  );
  return { apps: data.analyticsApps.nodes, inactivityMinutes: data.analyticsSettings.inactivityMinutes };
}

export async function saveInactivityMinutes(inactivityMinutes: number): Promise<number> {
  const { updateAnalyticsSettings } = await gql(
    graphql(`
      mutation UpdateAnalyticsSettings($minutes: Int!) {
        updateAnalyticsSettings(input: { inactivityMinutes: $minutes }) { __typename ...Failure ...Problems ... on AnalyticsSettings { inactivityMinutes } }
      }
    `),
    { minutes: inactivityMinutes },
  );
  return unwrap(updateAnalyticsSettings, "AnalyticsSettings").inactivityMinutes;
}

export interface AppFields {
  name: string;
  internal: boolean;
  internalUserIds: string[];
}

/** A new app with its write key, which is shown only now. */
export async function createApp(fields: AppFields): Promise<{ app: App; writeKey: string }> {
  const { createAnalyticsApp } = await gql(
    graphql(`
      mutation CreateAnalyticsApp($name: String!, $internal: Boolean, $internalUserIds: [String!]) {
        createAnalyticsApp(input: { name: $name, internal: $internal, internalUserIds: $internalUserIds }) {
          __typename ...Failure ...Problems ... on AnalyticsAppWithKey { writeKey app { ...AnalyticsAppSetup } }
        }
      }
    `),
    fields,
  );
  return unwrap(createAnalyticsApp, "AnalyticsAppWithKey");
}

/** An app's settings as its panel saves them; a null retention keeps raw events forever. */
export type AppSettings = AppFields & { retentionMonths: number | null };

export async function updateApp(id: string, fields: AppSettings): Promise<App> {
  const { updateAnalyticsApp } = await gql(
    graphql(`
      mutation UpdateAnalyticsApp($id: ID!, $name: String!, $internal: Boolean!, $internalUserIds: [String!]!, $retentionMonths: Int) {
        updateAnalyticsApp(input: { id: $id, name: $name, internal: $internal, internalUserIds: $internalUserIds, retentionMonths: $retentionMonths }) {
          __typename ...Failure ...Problems ... on AnalyticsApp { ...AnalyticsAppSetup }
        }
      }
    `),
    { id, ...fields },
  );
  return unwrap(updateAnalyticsApp, "AnalyticsApp");
}

/** The app's new write key, shown only now; the old one stops working. */
export async function rotateWriteKey(id: string): Promise<string> {
  const { rotateAnalyticsWriteKey } = await gql(
    graphql(`mutation RotateAnalyticsWriteKey($id: ID!) { rotateAnalyticsWriteKey(input: { id: $id }) { __typename ...Failure ... on AnalyticsAppWithKey { writeKey } } }`),
    { id },
  );
  return unwrap(rotateAnalyticsWriteKey, "AnalyticsAppWithKey").writeKey;
}

export async function deleteApp(id: string) {
  const { deleteAnalyticsApp } = await gql(graphql(`mutation DeleteAnalyticsApp($id: ID!) { deleteAnalyticsApp(input: { id: $id }) { __typename ...Failure } }`), { id });
  unwrap(deleteAnalyticsApp, "AnalyticsApp");
}

/** Creates the definition (no `id`) or changes it; the app comes back with its definitions as saved. */
export async function saveBusinessEvent(appId: string, id: string | null, definition: BusinessEventDefinitionInput) {
  if (id) {
    const { updateBusinessEventDefinition } = await gql(
      graphql(`
        mutation UpdateBusinessEventDefinition($id: ID!, $definition: BusinessEventDefinitionInput!) {
          updateBusinessEventDefinition(input: { id: $id, definition: $definition }) { __typename ...Failure ...Problems ... on BusinessEventDefinition { id } }
        }
      `),
      { id, definition },
    );
    unwrap(updateBusinessEventDefinition, "BusinessEventDefinition");
  } else {
    const { createBusinessEventDefinition } = await gql(
      graphql(`
        mutation CreateBusinessEventDefinition($appId: ID!, $definition: BusinessEventDefinitionInput!) {
          createBusinessEventDefinition(input: { appId: $appId, definition: $definition }) { __typename ...Failure ...Problems ... on BusinessEventDefinition { id } }
        }
      `),
      { appId, definition },
    );
    unwrap(createBusinessEventDefinition, "BusinessEventDefinition");
  }
}

export async function saveFlow(appId: string, id: string | null, definition: FlowDefinitionInput) {
  if (id) {
    const { updateFlowDefinition } = await gql(
      graphql(`
        mutation UpdateFlowDefinition($id: ID!, $definition: FlowDefinitionInput!) {
          updateFlowDefinition(input: { id: $id, definition: $definition }) { __typename ...Failure ...Problems ... on FlowDefinition { id } }
        }
      `),
      { id, definition },
    );
    unwrap(updateFlowDefinition, "FlowDefinition");
  } else {
    const { createFlowDefinition } = await gql(
      graphql(`
        mutation CreateFlowDefinition($appId: ID!, $definition: FlowDefinitionInput!) {
          createFlowDefinition(input: { appId: $appId, definition: $definition }) { __typename ...Failure ...Problems ... on FlowDefinition { id } }
        }
      `),
      { appId, definition },
    );
    unwrap(createFlowDefinition, "FlowDefinition");
  }
}

export async function deleteBusinessEvent(id: string) {
  const { deleteBusinessEventDefinition } = await gql(
    graphql(`mutation DeleteBusinessEventDefinition($id: ID!) { deleteBusinessEventDefinition(input: { id: $id }) { __typename ...Failure } }`),
    { id },
  );
  unwrap(deleteBusinessEventDefinition, "BusinessEventDefinition");
}

export async function deleteFlow(id: string) {
  const { deleteFlowDefinition } = await gql(graphql(`mutation DeleteFlowDefinition($id: ID!) { deleteFlowDefinition(input: { id: $id }) { __typename ...Failure } }`), { id });
  unwrap(deleteFlowDefinition, "FlowDefinition");
}

export async function previewBusinessEvent(appId: string, definition: BusinessEventDefinitionInput): Promise<BusinessEventPreview> {
  const { previewBusinessEventDefinition } = await gql(
    graphql(`
      query PreviewBusinessEvent($appId: ID!, $definition: BusinessEventDefinitionInput!) {
        previewBusinessEventDefinition(input: { appId: $appId, definition: $definition }) {
          __typename ...Failure ...Problems ... on BusinessEventDefinitionPreview { sessions matchingSessions matches }
        }
      }
    `),
    { appId, definition },
  );
  return unwrap(previewBusinessEventDefinition, "BusinessEventDefinitionPreview");
}

export async function previewFlow(appId: string, definition: FlowDefinitionInput): Promise<FlowPreview> {
  const { previewFlowDefinition } = await gql(
    graphql(`
      query PreviewFlow($appId: ID!, $definition: FlowDefinitionInput!) {
        previewFlowDefinition(input: { appId: $appId, definition: $definition }) {
          __typename ...Failure ...Problems ... on FlowDefinitionPreview { sessions started completed withMistakes droppedOff dropOffSteps { step sessions } }
        }
      }
    `),
    { appId, definition },
  );
  return unwrap(previewFlowDefinition, "FlowDefinitionPreview");
}

/** A condition's value as typed: JSON where it is JSON (numbers, true, false, "quoted text"), else the text itself. */
export function conditionValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** How a stored condition value is shown for editing, the inverse of `conditionValue`. */
export function conditionText(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "string" && conditionValue(value) === value ? value : JSON.stringify(value);
}

/** Ids one a line, as a list (blank lines dropped). */
export const linesOf = (text: string) =>
  text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);

/** How to send this app's events from each SDK README documents, with this server as the host. */
export function sdkSnippets(host: string): { label: string; code: string }[] {
  return [
    {
      label: "Segment (@segment/analytics-node)",
      code: `import { Analytics } from "@segment/analytics-node";
const analytics = new Analytics({ writeKey: WRITE_KEY, host: "${host}" });
analytics.track({ userId: "customer-42", event: "project_created", properties: { name: "Apollo" } });`,
    },
    {
      label: "PostHog (posthog-node)",
      code: `import { PostHog } from "posthog-node";
const posthog = new PostHog(WRITE_KEY, { host: "${host}" });
posthog.capture({ distinctId: "customer-42", event: "project_created", properties: { name: "Apollo" } });`,
    },
    {
      label: "PostHog in the browser (posthog-js)",
      code: `import posthog from "posthog-js";
posthog.init(WRITE_KEY, { api_host: "${host}" });
posthog.capture("project_created", { name: "Apollo" });`,
    },
    {
      label: "Our own endpoint (POST /api/events)",
      code: `await fetch("${host}/api/events", {
  method: "POST",
  headers: { authorization: \`Bearer \${WRITE_KEY}\`, "content-type": "application/json" },
  body: JSON.stringify({ events: [{ eventId: crypto.randomUUID(), userId: "customer-42", name: "project_created",
    timestamp: new Date().toISOString(), properties: { name: "Apollo" } }] }),
});`,
    },
  ];
}
