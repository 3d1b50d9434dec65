-- AlterTable
ALTER TABLE "Project" ADD COLUMN     "archivedAt" TIMESTAMPTZ(3);
