-- AlterTable
ALTER TABLE "UserSession" ADD COLUMN     "anonymousId" TEXT;

-- CreateTable
CREATE TABLE "IdentityLink" (
    "appId" UUID NOT NULL,
    "fromId" TEXT NOT NULL,
    "toId" TEXT NOT NULL,
    "eventId" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "IdentityLink_pkey" PRIMARY KEY ("appId","fromId")
);

-- CreateIndex
CREATE INDEX "IdentityLink_appId_toId_idx" ON "IdentityLink"("appId", "toId");

-- AddForeignKey
ALTER TABLE "IdentityLink" ADD CONSTRAINT "IdentityLink_appId_fkey" FOREIGN KEY ("appId") REFERENCES "AnalyticsApp"("id") ON DELETE CASCADE ON UPDATE CASCADE;
