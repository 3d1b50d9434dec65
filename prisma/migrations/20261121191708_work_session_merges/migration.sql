-- AlterEnum
BEGIN;
CREATE TYPE "WorkSessionEnd_new" AS ENUM ('app_closed', 'inactivity', 'manual');
ALTER TABLE "WorkSession" ALTER COLUMN "endReason" TYPE "WorkSessionEnd_new" USING ("endReason"::text::"WorkSessionEnd_new");
ALTER TYPE "WorkSessionEnd" RENAME TO "WorkSessionEnd_old";
ALTER TYPE "WorkSessionEnd_new" RENAME TO "WorkSessionEnd";
DROP TYPE "public"."WorkSessionEnd_old";
COMMIT;

-- CreateTable
CREATE TABLE "WorkSessionMerge" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "employeeId" UUID NOT NULL,
    "mergedById" UUID NOT NULL,
    "sessionId" UUID NOT NULL,
    "before" JSONB NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WorkSessionMerge_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "WorkSessionMerge_workspaceId_employeeId_createdAt_idx" ON "WorkSessionMerge"("workspaceId", "employeeId", "createdAt");

-- AddForeignKey
ALTER TABLE "WorkSessionMerge" ADD CONSTRAINT "WorkSessionMerge_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
