//! Read-only SQL for the server (`serve`: the JSON API and the board): incidents with their
//! timelines and revisions, a vendor's state and days, the outages and feed health. Lists are
//! newest first by (started_at, id) with a keyset bound (`before`), never OFFSET, so a page
//! costs the same deep in a large archive.

use super::{StatusRow, Store, StoreError};
use rusqlite::types::ToSql;
use rusqlite::{params, OptionalExtension};

/// One incident, with a person's override applied (`status`, `resolved_at`, the duration);
/// the vendor's own word stays in `vendor_status`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct IncidentRow {
    pub id: i64,
    pub feed_id: i64,
    pub vendor: String,
    /// The feed's title.
    pub feed: String,
    pub title: String,
    pub link: Option<String>,
    /// outage, degraded, maintenance, informational or resolved, after a person's override.
    pub status: String,
    /// The worst status reached while open (the vendor's word).
    pub worst_status: String,
    /// The status as of the vendor's newest entry.
    pub vendor_status: String,
    pub phase: Option<String>,
    /// The vendor's own severity word.
    pub severity: Option<String>,
    pub components: Vec<String>,
    pub started_at: String,
    pub resolved_at: Option<String>,
    pub updated_at: String,
    /// Minutes from start to resolution; an ongoing incident counts up to now.
    pub duration_minutes: Option<f64>,
    pub override_status: Option<String>,
    pub override_reason: Option<String>,
}

/// One vendor update inside an incident's entries (its timeline).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct UpdateRow {
    pub entry_id: i64,
    /// The vendor's time for the update, when it gave one.
    pub posted_at: Option<String>,
    /// The vendor's status word (Investigating, Resolved...).
    pub label: String,
    pub phase: Option<String>,
    pub text: String,
    /// When statuswatch first saw it.
    pub first_seen_at: String,
}

/// One stored version of one of an incident's entries.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct RevisionRow {
    pub entry_id: i64,
    /// 1, 2, ... per entry.
    pub revision: i64,
    pub seen_at: String,
    pub title: String,
    /// The classification when the version was stored.
    pub status: String,
}

/// Which incidents [`Store::incidents`] lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentFilter {
    pub vendor: Option<String>,
    /// The status after a person's override (the `status` field).
    pub status: Option<String>,
    /// Started at or after this time (stored-time text).
    pub since: Option<String>,
    /// Started before this time.
    pub until: Option<String>,
    /// Open (true) or resolved (false), after a person's override.
    pub ongoing: Option<bool>,
    /// The keyset bound: only incidents strictly before this (started_at, id).
    pub before: Option<(String, i64)>,
    pub limit: usize,
}

/// One UTC day on which a vendor had an unplanned incident open.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct DayRow {
    /// YYYY-MM-DD (UTC).
    pub day: String,
    /// outage or degraded: the worst of the incidents open that day.
    pub worst_status: String,
    /// How many unplanned incidents were open that day.
    pub incidents: i64,
}

/// One row of the `feed_health` view.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FeedHealthRow {
    pub id: i64,
    pub vendor: String,
    pub title: String,
    pub url: String,
    pub enabled: bool,
    /// disabled, never fetched, gone, ok or failing.
    pub health: String,
    pub last_fetch_at: Option<String>,
    pub last_success_at: Option<String>,
    pub last_http_status: Option<i64>,
    pub consecutive_failures: i64,
    pub failing_since: Option<String>,
    pub gone_since: Option<String>,
    pub last_error: Option<String>,
    pub next_fetch_at: Option<String>,
    /// Where a permanent redirect seen lately points.
    pub moving_to: Option<String>,
}

/// One row of the `outages` view: an unplanned incident, override-aware.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct OutageRow {
    pub incident_id: i64,
    pub vendor: String,
    pub feed: String,
    pub title: String,
    /// outage or degraded.
    pub status: String,
    pub started_at: String,
    pub resolved_at: Option<String>,
    pub duration_minutes: Option<f64>,
    pub ongoing: bool,
    pub components: Vec<String>,
    pub link: Option<String>,
    /// The reason a person gave, where an override decides it.
    #[serde(rename = "override")]
    pub override_reason: Option<String>,
}

/// Which outages [`Store::outages`] lists (same meanings as [`IncidentFilter`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutageFilter {
    pub vendor: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub ongoing: Option<bool>,
    pub before: Option<(String, i64)>,
    pub limit: usize,
}

/// An incident's end after a person's override, as `history` computes it: resolved or
/// informational closes it, any other override holds it open.
const RESOLVED_AT: &str = "CASE WHEN o.status IN ('resolved', 'informational')
                                   THEN COALESCE(i.resolved_at, o.created_at)
                              WHEN o.status IS NOT NULL THEN NULL
                              ELSE i.resolved_at END";

/// Every incident that may be open after overrides: the vendor's open ones (through the
/// partial index, named because without statistics SQLite prefers scanning a wider one) and
/// any with an override. Callers still check the override-aware end.
const OPEN_CANDIDATES: &str = "(SELECT id FROM incidents INDEXED BY incidents_open WHERE resolved_at IS NULL
                                UNION ALL SELECT incident_id FROM overrides WHERE incident_id IS NOT NULL)";

/// The status filter's two halves (see [`Store::incidents`]): no override and the vendor's
/// status, through incidents_status_started; or an override's status, driven from the
/// overrides rather than from every incident in range probing for one.
const VENDOR_STATUS_IS: &str = "i.status = ? AND o.status IS NULL";
const OVERRIDE_STATUS_IS: &str = "i.id IN (SELECT incident_id FROM overrides
                                           WHERE incident_id IS NOT NULL AND status = ?)
                                  AND o.status = ?";

fn incident_select() -> String {
    format!(
        "SELECT i.id, i.feed_id, f.vendor, f.title, i.title, i.link, COALESCE(o.status, i.status),
                i.worst_status, i.status, i.phase, i.severity, i.components, i.started_at,
                {RESOLVED_AT},
                i.updated_at,
                ROUND((julianday(COALESCE({RESOLVED_AT}, 'now')) - julianday(i.started_at)) * 1440.0, 1),
                o.status, o.reason
         FROM incidents i
         JOIN feeds f ON f.id = i.feed_id
         LEFT JOIN overrides o ON o.incident_id = i.id"
    )
}

fn incident_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<IncidentRow> {
    let components: String = r.get(11)?;
    Ok(IncidentRow {
        id: r.get(0)?,
        feed_id: r.get(1)?,
        vendor: r.get(2)?,
        feed: r.get(3)?,
        title: r.get(4)?,
        link: r.get(5)?,
        status: r.get(6)?,
        worst_status: r.get(7)?,
        vendor_status: r.get(8)?,
        phase: r.get(9)?,
        severity: r.get(10)?,
        // A damaged list shows as none rather than failing the whole page.
        components: serde_json::from_str(&components).unwrap_or_default(),
        started_at: r.get(12)?,
        resolved_at: r.get(13)?,
        updated_at: r.get(14)?,
        duration_minutes: r.get(15)?,
        override_status: r.get(16)?,
        override_reason: r.get(17)?,
    })
}

/// WHERE terms and their parameters, built from the filters that are set, so each shape of
/// query keeps only terms an index can serve. Terms use anonymous `?`s, bound in order.
#[derive(Default)]
struct Terms {
    sql: Vec<String>,
    params: Vec<Box<dyn ToSql>>,
}

impl Terms {
    fn push(&mut self, sql: &str, values: Vec<Box<dyn ToSql>>) {
        self.sql.push(sql.to_string());
        self.params.extend(values);
    }

    fn where_clause(&self) -> String {
        if self.sql.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.sql.join(" AND "))
        }
    }

    /// The LIMIT, the last parameter of every listing.
    fn push_limit(&mut self, limit: usize) {
        self.params.push(Box::new(limit as i64));
    }

    fn values(&self) -> Vec<&dyn ToSql> {
        self.params.iter().map(|b| b.as_ref()).collect()
    }
}

fn text(value: &str) -> Box<dyn ToSql> {
    Box::new(value.to_string())
}

/// The keyset bound: strictly before (started_at, id) in newest-first order. Written as a
/// range on `started` plus a tie-break so SQLite ranges over the started_at index.
fn before_term(terms: &mut Terms, started: &str, id: &str, before: &(String, i64)) {
    terms.push(
        &format!("{started} <= ? AND ({started} < ? OR {id} < ?)"),
        vec![text(&before.0), text(&before.0), Box::new(before.1)],
    );
}

impl Store {
    /// Incidents newest first by (started_at, id), one per real incident (`same_as IS NULL`).
    pub fn incidents(&self, f: &IncidentFilter) -> Result<Vec<IncidentRow>, StoreError> {
        let Some(status) = &f.status else {
            return self.incidents_where(f, "1", 0, "");
        };
        // "Status after the override" is no column an index holds. The vendor's status is
        // (incidents_status_started) and overrides are few: list the incidents without an
        // override that have the status, and the overridden ones that were given it, each
        // newest first, and keep the newest `limit` of the two.
        let mut rows = self.incidents_where(f, VENDOR_STATUS_IS, 1, status)?;
        rows.extend(self.incidents_where(f, OVERRIDE_STATUS_IS, 2, status)?);
        rows.sort_by(|a, b| (&b.started_at, b.id).cmp(&(&a.started_at, a.id)));
        rows.truncate(f.limit);
        Ok(rows)
    }

    /// [`Store::incidents`] with every filter but the status, plus the term `extra` whose
    /// `uses` parameters are all `value`.
    fn incidents_where(
        &self,
        f: &IncidentFilter,
        extra: &str,
        uses: usize,
        value: &str,
    ) -> Result<Vec<IncidentRow>, StoreError> {
        let (sql, terms) = Self::incidents_sql(f, extra, uses, value);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(terms.values().as_slice(), incident_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The statement [`Store::incidents_where`] runs, with its parameters.
    fn incidents_sql(f: &IncidentFilter, extra: &str, uses: usize, value: &str) -> (String, Terms) {
        let mut terms = Terms::default();
        terms.push("i.same_as IS NULL", vec![]);
        terms.push(extra, (0..uses).map(|_| text(value)).collect());
        if let Some(vendor) = &f.vendor {
            // Through the feeds_vendor and incidents_feed_started indexes.
            terms.push(
                "i.feed_id IN (SELECT id FROM feeds WHERE vendor = ?)",
                vec![text(vendor)],
            );
        }
        if let Some(since) = &f.since {
            terms.push("i.started_at >= ?", vec![text(since)]);
        }
        if let Some(until) = &f.until {
            terms.push("i.started_at < ?", vec![text(until)]);
        }
        match f.ongoing {
            Some(true) => {
                // Open incidents are few: find them through the incidents_open index (and the
                // overrides, which may hold one open) instead of reading every incident.
                terms.push(&format!("i.id IN {OPEN_CANDIDATES}"), vec![]);
                terms.push(&format!("({RESOLVED_AT}) IS NULL"), vec![]);
            }
            Some(false) => terms.push(&format!("({RESOLVED_AT}) IS NOT NULL"), vec![]),
            None => {}
        }
        if let Some(before) = &f.before {
            before_term(&mut terms, "i.started_at", "i.id", before);
        }
        terms.push_limit(f.limit);
        let sql = format!(
            "{}{} ORDER BY i.started_at DESC, i.id DESC LIMIT ?",
            incident_select(),
            terms.where_clause()
        );
        (sql, terms)
    }

    /// One incident by id (also one that is `same_as` another).
    pub fn incident(&self, id: i64) -> Result<Option<IncidentRow>, StoreError> {
        let sql = format!("{} WHERE i.id = ?1", incident_select());
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row([id], incident_from_row)
            .optional()?)
    }

    /// The vendor updates of an incident's entries, oldest first.
    pub fn incident_updates(&self, id: i64) -> Result<Vec<UpdateRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT u.entry_id, u.posted_at, u.label, u.phase, u.text, u.first_seen_at
             FROM entries e JOIN updates u ON u.entry_id = e.id
             WHERE e.incident_id = ?1
             ORDER BY COALESCE(u.posted_at, u.first_seen_at), u.first_seen_at, u.id",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok(UpdateRow {
                entry_id: r.get(0)?,
                posted_at: r.get(1)?,
                label: r.get(2)?,
                phase: r.get(3)?,
                text: r.get(4)?,
                first_seen_at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every stored version of an incident's entries, oldest first.
    pub fn incident_revisions(&self, id: i64) -> Result<Vec<RevisionRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.entry_id, r.revision, r.seen_at, r.title, r.status
             FROM entries e JOIN entry_revisions r ON r.entry_id = e.id
             WHERE e.incident_id = ?1
             ORDER BY r.seen_at, r.entry_id, r.revision",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok(RevisionRow {
                entry_id: r.get(0)?,
                revision: r.get(1)?,
                seen_at: r.get(2)?,
                title: r.get(3)?,
                status: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One vendor's rows of the `current_status` view, worst first; empty when no enabled
    /// feed has this vendor.
    pub fn vendor_status(&self, vendor: &str) -> Result<Vec<StatusRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT vendor, feed, category, component, state, since, incident, link, checked_at,
                    override
             FROM current_status WHERE vendor = ?1
             ORDER BY severity DESC, feed, component",
        )?;
        let rows = stmt.query_map([vendor], super::state::status_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The UTC days since `since_day` (YYYY-MM-DD) on which one of the vendor's unplanned
    /// incidents (the `outages` view: outage or degraded, a person's override standing) was
    /// open, with the worst status among them; days without one are left out.
    pub fn incident_days(&self, vendor: &str, since_day: &str) -> Result<Vec<DayRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT status, substr(started_at, 1, 10), substr(COALESCE(resolved_at, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')), 1, 10)
             FROM outages
             WHERE vendor = ?1 AND (resolved_at IS NULL OR resolved_at >= ?2)",
        )?;
        let spans = stmt
            .query_map(params![vendor, since_day], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(days_of(&spans, since_day))
    }

    /// The `feed_health` view, by vendor and title.
    pub fn feed_health(&self) -> Result<Vec<FeedHealthRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, vendor, title, url, enabled, health, last_fetch_at, last_success_at,
                    last_http_status, consecutive_failures, failing_since, gone_since, last_error,
                    next_fetch_at, moving_to
             FROM feed_health ORDER BY vendor, title, id",
        )?;
        let rows = stmt.query_map([], |r| {
            // Shown to whoever reaches `serve`: the URL without its credentials, and no error
            // recorded before errors were redacted quoting them.
            let url: String = r.get(3)?;
            let last_error: Option<String> = r.get(12)?;
            let moving_to: Option<String> = r.get(14)?;
            Ok(FeedHealthRow {
                id: r.get(0)?,
                vendor: r.get(1)?,
                title: r.get(2)?,
                last_error: last_error.map(|e| crate::redact::message(&e, &url).into_owned()),
                moving_to: moving_to.map(|m| crate::redact::url(&m).into_owned()),
                url: crate::redact::url(&url).into_owned(),
                enabled: r.get(4)?,
                health: r.get(5)?,
                last_fetch_at: r.get(6)?,
                last_success_at: r.get(7)?,
                last_http_status: r.get(8)?,
                consecutive_failures: r.get(9)?,
                failing_since: r.get(10)?,
                gone_since: r.get(11)?,
                next_fetch_at: r.get(13)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The statement [`Store::outages`] runs, with its parameters.
    fn outages_sql(f: &OutageFilter) -> (String, Terms) {
        let mut terms = Terms::default();
        if let Some(vendor) = &f.vendor {
            terms.push("vendor = ?", vec![text(vendor)]);
        }
        if let Some(since) = &f.since {
            terms.push("started_at >= ?", vec![text(since)]);
        }
        if let Some(until) = &f.until {
            terms.push("started_at < ?", vec![text(until)]);
        }
        match f.ongoing {
            Some(true) => {
                // As for incidents: the few open ones by index, not every outage.
                terms.push(
                    &format!("incident_id IN {OPEN_CANDIDATES} AND ongoing"),
                    vec![],
                );
            }
            Some(false) => terms.push("NOT ongoing", vec![]),
            None => {}
        }
        if let Some(before) = &f.before {
            before_term(&mut terms, "started_at", "incident_id", before);
        }
        terms.push_limit(f.limit);
        let sql = format!(
            "SELECT incident_id, vendor, feed, title, status, started_at, resolved_at,
                    duration_minutes, ongoing, components, link, override
             FROM outages{} ORDER BY started_at DESC, incident_id DESC LIMIT ?",
            terms.where_clause()
        );
        (sql, terms)
    }

    /// The `outages` view newest first by (started_at, incident_id).
    pub fn outages(&self, f: &OutageFilter) -> Result<Vec<OutageRow>, StoreError> {
        let (sql, terms) = Self::outages_sql(f);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(terms.values().as_slice(), |r| {
            let components: String = r.get(9)?;
            Ok(OutageRow {
                incident_id: r.get(0)?,
                vendor: r.get(1)?,
                feed: r.get(2)?,
                title: r.get(3)?,
                status: r.get(4)?,
                started_at: r.get(5)?,
                resolved_at: r.get(6)?,
                duration_minutes: r.get(7)?,
                ongoing: r.get(8)?,
                components: serde_json::from_str(&components).unwrap_or_default(),
                link: r.get(10)?,
                override_reason: r.get(11)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Spreads (status, first day, last day) spans over the days from `since_day` on.
fn days_of(spans: &[(String, String, String)], since_day: &str) -> Vec<DayRow> {
    use chrono::NaiveDate;
    use std::collections::BTreeMap;
    let parse = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
    let floor = parse(since_day);
    let mut days: BTreeMap<NaiveDate, (bool, i64)> = BTreeMap::new();
    for (status, first, last) in spans {
        let (Some(first), Some(last)) = (parse(first), parse(last)) else {
            continue;
        };
        let mut day = floor.map_or(first, |f| first.max(f));
        while day <= last {
            let slot = days.entry(day).or_insert((false, 0));
            slot.0 |= status == "outage";
            slot.1 += 1;
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
    }
    days.into_iter()
        .map(|(day, (outage, incidents))| DayRow {
            day: day.format("%Y-%m-%d").to_string(),
            worst_status: if outage { "outage" } else { "degraded" }.to_string(),
            incidents,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plan SQLite makes for a statement, one step a line.
    fn plan(store: &Store, sql: &str, terms: &Terms) -> Vec<String> {
        let mut stmt = store
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap();
        let rows = stmt
            .query_map(terms.values().as_slice(), |r| r.get::<_, String>(3))
            .unwrap();
        rows.map(Result::unwrap).collect()
    }

    /// No step reads a whole table, or the whole of an index while filtering it, where
    /// an index serves (the later benchmark runs these on a million entries).
    #[test]
    fn every_listing_reads_through_an_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("plans.db")).unwrap();
        let cursor = Some(("2025-10-20T07:00:00Z".to_string(), 42));
        let some = |s: &str| Some(s.to_string());
        let filters = [
            IncidentFilter {
                limit: 51,
                ..Default::default()
            },
            IncidentFilter {
                before: cursor.clone(),
                limit: 51,
                ..Default::default()
            },
            IncidentFilter {
                vendor: some("v"),
                before: cursor.clone(),
                limit: 51,
                ..Default::default()
            },
            IncidentFilter {
                ongoing: Some(true),
                limit: 51,
                ..Default::default()
            },
            IncidentFilter {
                since: some("2025-10-01T00:00:00Z"),
                until: some("2025-10-02T00:00:00Z"),
                limit: 51,
                ..Default::default()
            },
        ];
        for f in &filters {
            let (sql, terms) = Store::incidents_sql(f, "1", 0, "");
            let steps = plan(&store, &sql, &terms);
            assert!(
                !steps.iter().any(|s| s == "SCAN i"
                    || s == "SCAN incidents"
                    || s.contains("COVERING INDEX incidents_worst")),
                "{f:?}: {steps:#?}"
            );
        }
        let f = IncidentFilter {
            status: some("outage"),
            before: cursor.clone(),
            limit: 51,
            ..Default::default()
        };
        let (sql, terms) = Store::incidents_sql(&f, VENDOR_STATUS_IS, 1, "outage");
        let steps = plan(&store, &sql, &terms);
        assert!(
            steps.iter().any(|s| s.contains("incidents_status_started")),
            "{steps:#?}"
        );
        let (sql, terms) = Store::incidents_sql(&f, OVERRIDE_STATUS_IS, 2, "outage");
        let steps = plan(&store, &sql, &terms);
        assert!(
            steps
                .iter()
                .any(|s| s.starts_with("SEARCH i USING INTEGER PRIMARY KEY")),
            "{steps:#?}"
        );
        for f in [
            OutageFilter {
                before: cursor.clone(),
                limit: 51,
                ..Default::default()
            },
            OutageFilter {
                ongoing: Some(true),
                limit: 51,
                ..Default::default()
            },
            OutageFilter {
                vendor: some("v"),
                limit: 51,
                ..Default::default()
            },
        ] {
            let (sql, terms) = Store::outages_sql(&f);
            let steps = plan(&store, &sql, &terms);
            assert!(
                !steps.iter().any(|s| s == "SCAN i"
                    || s == "SCAN incidents"
                    || s.contains("COVERING INDEX incidents_worst")),
                "{f:?}: {steps:#?}"
            );
        }
    }

    #[test]
    fn a_span_counts_on_every_day_it_was_open_from_the_floor_on() {
        let spans = vec![
            (
                "degraded".to_string(),
                "2025-10-18".to_string(),
                "2025-10-21".to_string(),
            ),
            (
                "outage".to_string(),
                "2025-10-21".to_string(),
                "2025-10-21".to_string(),
            ),
        ];
        let days = days_of(&spans, "2025-10-20");
        let got: Vec<_> = days
            .iter()
            .map(|d| (d.day.as_str(), d.worst_status.as_str(), d.incidents))
            .collect();
        assert_eq!(
            got,
            vec![("2025-10-20", "degraded", 1), ("2025-10-21", "outage", 2)]
        );
    }
}
