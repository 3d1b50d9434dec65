-- AlterTable
ALTER TABLE "Workspace" ALTER COLUMN "workingHours" SET DEFAULT '[{"weekday":1,"start":"09:00","end":"17:00"},{"weekday":2,"start":"09:00","end":"17:00"},{"weekday":3,"start":"09:00","end":"17:00"},{"weekday":4,"start":"09:00","end":"17:00"},{"weekday":5,"start":"09:00","end":"17:00"}]';

-- Working hours per weekday: the old shape, one span for a set of days, becomes one entry per day
-- with that span. Rows already in the new shape (an array) stay as they are.
UPDATE "Workspace" w
SET "workingHours" = COALESCE(
  (SELECT jsonb_agg(jsonb_build_object('weekday', d.day::int, 'start', w."workingHours"->>'start', 'end', w."workingHours"->>'end') ORDER BY d.day::int)
   FROM (SELECT DISTINCT jsonb_array_elements_text(w."workingHours"->'days') AS day) d),
  '[]'::jsonb)
WHERE jsonb_typeof(w."workingHours") = 'object';
