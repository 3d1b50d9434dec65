-- AlterEnum
ALTER TYPE "FieldTarget" ADD VALUE 'client';

-- AlterTable
ALTER TABLE "Client" ADD COLUMN     "fieldValues" JSONB NOT NULL DEFAULT '{}';
