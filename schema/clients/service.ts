// Projects as new time takes them: an archived project keeps its entries and invoices but takes no
// new entry, timer or agent session.
import type { Project } from "../../prisma/generated/client.js";
import type { Tx } from "../common/context.js";
import { NotFoundError, ValidationError } from "../common/errors.js";

/**
 * The project, read FOR SHARE inside the caller's transaction: an archive committing meanwhile waits
 * for it, so no time slips onto a project archived between the check and the write.
 */
export async function projectTakingTime(tx: Tx, workspaceId: string, projectId: string): Promise<Project> {
  const [locked] = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM "Project" WHERE id = ${projectId}::uuid AND "workspaceId" = ${workspaceId}::uuid FOR SHARE`;
  if (!locked) throw new NotFoundError("Project");
  const project = await tx.project.findUniqueOrThrow({ where: { id: locked.id } });
  if (project.archivedAt) throw ValidationError.field("projectId", "This project is archived; restore it to track time on it");
  return project;
}
