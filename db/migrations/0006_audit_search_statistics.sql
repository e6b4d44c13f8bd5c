-- Free-text search on the timeline is `search_text LIKE '%term%'`. PostgreSQL estimates such a
-- pattern by matching it against the column's histogram, and clamps to 0.01 % when no entry
-- matches: with the default 100 entries, a term in 1 % of a million events is estimated at 100
-- rows, so the planner reads all of them through the trigram index and sorts (120 ms at 1M
-- events) instead of walking the time index newest-first until a page is full (4 ms). A
-- 1,000-entry histogram resolves terms down to 0.1 %: common terms walk the time index, rare
-- ones still use the trigram index.
ALTER TABLE "audit_events" ALTER COLUMN "search_text" SET STATISTICS 1000;
