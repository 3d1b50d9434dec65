-- AlterTable
ALTER TABLE "Appointment" ADD COLUMN     "seriesId" UUID;

-- CreateTable
CREATE TABLE "AppointmentSeries" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "everyWeeks" INTEGER NOT NULL,
    "until" TEXT,
    "count" INTEGER,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AppointmentSeries_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "AppointmentSeries_workspaceId_idx" ON "AppointmentSeries"("workspaceId");

-- CreateIndex
CREATE INDEX "Appointment_seriesId_startsAt_idx" ON "Appointment"("seriesId", "startsAt");

-- AddForeignKey
ALTER TABLE "Appointment" ADD CONSTRAINT "Appointment_seriesId_fkey" FOREIGN KEY ("seriesId") REFERENCES "AppointmentSeries"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AppointmentSeries" ADD CONSTRAINT "AppointmentSeries_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
