-- Sign-in failures counted while Redis is away: in PostgreSQL, so every API process counts them alike.
-- CreateTable
CREATE TABLE "RateLimitCount" (
    "key" TEXT NOT NULL,
    "points" INTEGER NOT NULL DEFAULT 0,
    "expire" BIGINT,

    CONSTRAINT "RateLimitCount_pkey" PRIMARY KEY ("key")
);
