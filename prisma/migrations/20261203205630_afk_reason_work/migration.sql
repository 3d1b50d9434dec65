-- AlterEnum
ALTER TYPE "AfkReason" ADD VALUE 'work';
