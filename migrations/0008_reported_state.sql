-- What a status API or watched page itself says now (every component's state and the whole
-- service's word), as its latest document stated it: JSON, NULL for feeds. The state planner
-- reads it on every plan (a fetch, `reclassify`, an override), so a re-plan never forgets a
-- component the source reported.
ALTER TABLE feeds ADD COLUMN reported_state TEXT;
