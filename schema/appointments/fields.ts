// Custom field definitions: three phases of client sessions, and client evaluations.
import type { FieldDefinition, FieldTarget } from "../../prisma/generated/client.js";
import { builder } from "../builder.js";
import type { Context, Db } from "../common/context.js";
import { ConflictError, NotFoundError, Problems, ValidationError, type FieldProblem } from "../common/errors.js";
import { lockFieldOrder } from "../common/locks.js";
import { can, requirePermission, type Permission } from "../common/policy.js";
import { FIELD_TYPES, validateSpec, type FieldSpec, type FieldType, type FieldValidation } from "./rules.js";
import { upperSnake } from "../common/enums.js";

export const FieldTargetEnum = builder.enumType("FieldTarget", {
  values: upperSnake({
    pre_session: { description: "Filled before the session (intake); may be given when creating it." },
    during_session: { description: "Filled during the session; only on an existing session." },
    post_session: { description: "Filled after the session (outcomes); only on an existing session." },
    evaluation: { description: "Client evaluations, managed separately." },
    client: { description: "The client's profile, shown and edited on the client page (no files: attach those to a session)." },
  }),
});
export const FieldTypeEnum = builder.enumType("FieldType", { values: upperSnake(FIELD_TYPES) });

export const SESSION_PHASES = ["pre_session", "during_session", "post_session"] as const;
export type SessionPhase = (typeof SESSION_PHASES)[number];

/** Who may change the definitions of a target: session phases and evaluations are separate. */
export function managePermission(target: FieldTarget): Permission {
  return target === "evaluation" ? "evaluation.fields.manage" : "session.fields.manage";
}

export function specOf(d: Pick<FieldDefinition, "key" | "label" | "type" | "required" | "validation" | "fields">): FieldSpec {
  return { key: d.key, label: d.label, type: d.type, required: d.required, validation: d.validation as FieldValidation, fields: d.fields as unknown as FieldSpec[] };
}

export const FieldDefinitionRef = builder.objectRef<FieldDefinition>("FieldDefinition");
builder.node(FieldDefinitionRef, {
  id: { resolve: (d) => d.id },
  loadOne: (id, ctx) =>
    can(ctx.viewer, "session.read") ? ctx.db.fieldDefinition.findFirst({ where: { id, workspaceId: ctx.viewer!.workspaceId } }) : null,
  fields: (t) => ({
    target: t.field({ type: FieldTargetEnum, resolve: (d) => d.target }),
    key: t.exposeString("key", { description: "Where the value is kept in fieldValues; never changes." }),
    label: t.exposeString("label"),
    description: t.exposeString("description"),
    type: t.field({ type: FieldTypeEnum, resolve: (d) => d.type }),
    required: t.exposeBoolean("required"),
    validation: t.field({ type: "JSON", description: "{min, max, minLength, maxLength, pattern, options}", resolve: (d) => d.validation }),
    fields: t.field({
      type: "JSON",
      description: "Sub-fields of an object, or the one item field of an array: [{key, label, type, required, validation, fields}].",
      resolve: (d) => d.fields,
    }),
    position: t.exposeInt("position"),
    filterable: t.exposeBoolean("filterable", { description: "Offered as a filter in the calendar and list." }),
    archivedAt: t.expose("archivedAt", { type: "DateTime", nullable: true, description: "Archived fields keep their values, shown read-only." }),
  }),
});

export function listDefinitions(db: Db, workspaceId: string, targets: readonly FieldTarget[], includeArchived = true) {
  return db.fieldDefinition.findMany({
    where: { workspaceId, target: { in: [...targets] }, ...(includeArchived ? {} : { archivedAt: null }) },
    orderBy: [{ position: "asc" }, { createdAt: "asc" }],
  });
}

builder.queryField("fieldDefinitions", (t) =>
  t.field({
    type: [FieldDefinitionRef],
    description: "The custom fields of a phase (or of evaluations) in their order.",
    authScopes: { permission: "session.read" },
    args: { target: t.arg({ type: FieldTargetEnum }), includeArchived: t.arg.boolean({ required: false, defaultValue: false }) },
    resolve: (_r, args, ctx) => listDefinitions(ctx.db, ctx.viewer!.workspaceId, [args.target], args.includeArchived ?? false),
  }),
);

/** A spec as written by a client (JSON for nested sub-fields): shape checked, then the rules. */
function parseSpec(raw: unknown, path: string[], problems: FieldProblem[]): FieldSpec {
  const r = (raw ?? {}) as Record<string, unknown>;
  const spec: FieldSpec = {
    key: typeof r.key === "string" ? r.key : "",
    label: typeof r.label === "string" ? r.label : "",
    type: r.type as FieldType,
    required: r.required === true,
    validation: (r.validation ?? {}) as FieldValidation,
    fields: [],
  };
  if (r.fields !== undefined && !Array.isArray(r.fields)) problems.push({ path: [...path, "fields"], message: "Must be a list of fields" });
  else spec.fields = ((r.fields as unknown[]) ?? []).map((f, i) => parseSpec(f, [...path, "fields", String(i)], problems));
  return spec;
}

const FieldInput = builder.inputType("FieldDefinitionInput", {
  fields: (t) => ({
    label: t.string(),
    description: t.string({ required: false }),
    required: t.boolean({ required: false }),
    validation: t.field({ type: "JSON", required: false }),
    fields: t.field({ type: "JSON", required: false, description: "Object sub-fields or the array item field." }),
    filterable: t.boolean({ required: false }),
  }),
});

/** Where the mutations take a field's definition: `input.definition`, beside `input.key` and `input.type`. */
const DEFINITION = ["input", "definition"];

/** A problem of the spec at the path of its argument: key and type stand beside the definition, not in it. */
function argumentPath(problem: FieldProblem): FieldProblem {
  const [field, ...rest] = problem.path.slice(DEFINITION.length);
  return rest.length === 0 && (field === "key" || field === "type") ? { ...problem, path: ["input", field] } : problem;
}

function checked(key: string, type: FieldType, input: typeof FieldInput.$inferInput, target: FieldTarget) {
  const problems: FieldProblem[] = [];
  const at = (field: string, message: string) => problems.push({ path: [...DEFINITION, field], message });
  const fields = input.fields == null ? [] : Array.isArray(input.fields) ? (input.fields as unknown[]).map((f, i) => parseSpec(f, [...DEFINITION, "fields", String(i)], problems)) : null;
  if (!fields) at("fields", "Must be a list of fields");
  const spec: FieldSpec = { key, label: input.label, type, required: input.required ?? false, validation: (input.validation ?? {}) as FieldValidation, fields: fields ?? [] };
  problems.push(...validateSpec(spec, DEFINITION).map(argumentPath));
  if ((input.description ?? "").length > 2000) at("description", "At most 2000 characters");
  if (input.filterable && ["image", "file", "signature", "array", "object"].includes(type)) at("filterable", "Files, signatures, lists and objects can't be calendar filters");
  if (target === "client" && (type === "image" || type === "file")) problems.push({ path: ["input", "type"], message: "Client fields can't hold files: attach them to a session" });
  if (problems.length) throw new ValidationError(problems);
  return spec;
}

async function loadForChange(ctx: Context, id: string) {
  const found = await ctx.db.fieldDefinition.findFirst({ where: { id, workspaceId: ctx.viewer!.workspaceId } });
  if (!found) throw new NotFoundError("Field");
  requirePermission(ctx.viewer, managePermission(found.target));
  return found;
}

function isUniqueViolation(error: unknown) {
  return (error as { code?: string })?.code === "P2002" || String((error as Error)?.message ?? "").includes("FieldDefinition_key_unique");
}

builder.mutationField("createFieldDefinition", (t) =>
  t.fieldWithInput({
    type: FieldDefinitionRef,
    description: "A new custom field at the end of its phase. Key and type are fixed once created.",
    authScopes: (_p, { input }) => ({ permission: managePermission(input.target) }),
    errors: { types: [ValidationError, ConflictError] },
    input: { target: t.input.field({ type: FieldTargetEnum }), key: t.input.string(), type: t.input.field({ type: FieldTypeEnum }), definition: t.input.field({ type: FieldInput }) },
    resolve: async (_r, { input: args }, ctx) => {
      const spec = checked(args.key, args.type, args.definition, args.target);
      const workspaceId = ctx.viewer!.workspaceId;
      try {
        return await ctx.db.$transaction(async (tx) => {
          // Fields added at once each take the next position.
          await lockFieldOrder(tx, workspaceId, args.target);
          const last = await tx.fieldDefinition.aggregate({ where: { workspaceId, target: args.target }, _max: { position: true } });
          return tx.fieldDefinition.create({
            data: {
              workspaceId,
              target: args.target,
              key: spec.key,
              label: spec.label.trim(),
              description: args.definition.description?.trim() ?? "",
              type: spec.type,
              required: spec.required,
              validation: spec.validation as object,
              fields: spec.fields as unknown as object[],
              position: (last._max.position ?? 0) + 1,
              filterable: args.definition.filterable ?? false,
            },
          });
        });
      } catch (error) {
        // Checked by the database: two managers adding the same key at once get one field.
        if (isUniqueViolation(error)) throw new ConflictError(`A field with the key "${spec.key}" exists`);
        throw error;
      }
    },
  }),
);

builder.mutationField("updateFieldDefinition", (t) =>
  t.fieldWithInput({
    type: FieldDefinitionRef,
    description: "Changes label, description, required, validation, sub-fields and the filter flag.",
    authScopes: { signedIn: true },
    errors: { types: [ValidationError, NotFoundError] },
    input: { id: t.input.globalID({ for: FieldDefinitionRef }), definition: t.input.field({ type: FieldInput }) },
    resolve: async (_r, { input: args }, ctx) => {
      const found = await loadForChange(ctx, args.id.id);
      const spec = checked(found.key, found.type, args.definition, found.target);
      return ctx.db.fieldDefinition.update({
        where: { id: found.id },
        data: {
          label: spec.label.trim(),
          description: args.definition.description?.trim() ?? found.description,
          required: spec.required,
          validation: spec.validation as object,
          fields: spec.fields as unknown as object[],
          filterable: args.definition.filterable ?? found.filterable,
        },
      });
    },
  }),
);

for (const [name, archived] of [["archiveFieldDefinition", true], ["restoreFieldDefinition", false]] as const) {
  builder.mutationField(name, (t) =>
    t.fieldWithInput({
      type: FieldDefinitionRef,
      description: archived ? "Hides the field from forms; stored values stay and show read-only." : "Brings an archived field back.",
      authScopes: { signedIn: true },
      errors: { types: [NotFoundError] },
      input: { id: t.input.globalID({ for: FieldDefinitionRef }) },
      resolve: async (_r, { input: args }, ctx) => {
        const found = await loadForChange(ctx, args.id.id);
        return ctx.db.fieldDefinition.update({ where: { id: found.id }, data: { archivedAt: archived ? (found.archivedAt ?? new Date()) : null } });
      },
    }),
  );
}

builder.mutationField("reorderFieldDefinitions", (t) =>
  t.fieldWithInput({
    type: [FieldDefinitionRef],
    description: "Sets the order of a phase's fields: pass every field of the target (archived ones too), first to last.",
    authScopes: (_p, { input }) => ({ permission: managePermission(input.target) }),
    errors: { types: [ValidationError] },
    input: { target: t.input.field({ type: FieldTargetEnum }), ids: t.input.globalIDList({ for: FieldDefinitionRef }) },
    resolve: async (_r, { input: args }, ctx) => {
      const workspaceId = ctx.viewer!.workspaceId;
      const ids = args.ids.map((g) => g.id);
      return ctx.db.$transaction(async (tx) => {
        // A field added meanwhile waits (it takes the same lock), so the list compared is complete.
        await lockFieldOrder(tx, workspaceId, args.target);
        const current = await tx.fieldDefinition.findMany({ where: { workspaceId, target: args.target }, select: { id: true } });
        const problems = new Problems();
        if (new Set(ids).size !== ids.length) problems.add("ids", "A field is listed twice");
        else if (ids.length !== current.length || !current.every((c) => ids.includes(c.id))) problems.add("ids", "List every field of this target exactly once");
        problems.throwIfAny();
        for (const [i, id] of ids.entries()) await tx.fieldDefinition.update({ where: { id }, data: { position: i + 1 } });
        return tx.fieldDefinition.findMany({ where: { workspaceId, target: args.target }, orderBy: { position: "asc" } });
      });
    },
  }),
);
