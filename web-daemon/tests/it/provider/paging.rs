//! Activity list paging, the per-page cap and the before/after filters.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use futures_util::StreamExt;
use pacerd::provider::{ActivityQuery, ProviderResult, UploadStatus};
use serde_json::Value;

use super::{Harness, ids, start_ts, upload_request};
use crate::data::gpx;

#[test]
fn activity_paging_filters_and_per_page_cap() {
    let h = Harness::start();
    h.run(async {
        let seeded = h.all_activities().await;
        assert!(seeded.len() >= 30, "seeded activities: {}", seeded.len());
        // Push the athlete past 200 activities so the cap is observable: small files recorded
        // long before the seeded ones, uploaded 8 at a time.
        let extra = 215 - seeded.len();
        let base = Utc.with_ymd_and_hms(2020, 1, 1, 7, 0, 0).single().expect("date");
        let statuses: Vec<ProviderResult<UploadStatus>> = futures_util::stream::iter(0..extra)
            .map(|i| {
                let start = base + chrono::Duration::hours(30 * i as i64);
                let (bytes, _) = gpx(start, 4, 10, (46.0, 7.0));
                h.upload(upload_request(bytes, &format!("old run {i}"), Some(&format!("old-{i}"))))
            })
            .buffer_unordered(8)
            .collect()
            .await;
        let upload_ids: Vec<u64> = statuses.into_iter().map(|s| s.expect("upload").upload_id).collect();
        assert_eq!(upload_ids.iter().collect::<HashSet<_>>().len(), extra, "distinct upload ids");
        let last = h.poll_upload(*upload_ids.iter().max().expect("ids")).await;
        assert!(last.activity_id.is_some(), "{last:?}");
        tokio::time::sleep(Duration::from_millis(400)).await; // every upload is now processed

        let all = h.all_activities().await;
        let total = seeded.len() + extra;
        assert_eq!(all.len(), total);
        assert_eq!(all.iter().map(|a| a.id).collect::<HashSet<_>>().len(), total, "no duplicates");
        assert!(all.windows(2).all(|w| start_ts(&w[0]) >= start_ts(&w[1])), "newest first");
        assert_eq!(ids(&all[..seeded.len()]), ids(&seeded), "uploads are older than the seed");

        // per_page above 200: the client caps at 200, and so does the provider itself.
        let capped = h.list(ActivityQuery { per_page: 500, ..ActivityQuery::default() }).await;
        assert_eq!(ids(&capped), ids(&all[..200]));
        let raw = h
            .http
            .get(h.sb("/api/v3/athlete/activities?per_page=500&page=1"))
            .bearer_auth(h.initial.access_token.expose())
            .send()
            .await
            .expect("raw list");
        assert_eq!(raw.status(), 200);
        let raw: Vec<Value> = raw.json().await.expect("raw json");
        assert_eq!(raw.len(), 200, "sandbox caps per_page at 200");
        let page2 = h.list(ActivityQuery { page: 2, per_page: 500, ..ActivityQuery::default() }).await;
        assert_eq!(ids(&page2), ids(&all[200..]), "page 2 continues after 200, not 500");

        // Small pages tile the list: no overlap, no gap.
        let mut seen = Vec::new();
        for page in 1..=6 {
            let batch = h.list(ActivityQuery { page, per_page: 7, ..ActivityQuery::default() }).await;
            assert_eq!(batch.len(), 7, "page {page}");
            seen.extend(ids(&batch));
        }
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 42, "pages do not overlap");
        assert_eq!(seen, ids(&all[..42]));
        let beyond = h.list(ActivityQuery { page: 100, per_page: 7, ..ActivityQuery::default() }).await;
        assert!(beyond.is_empty());

        // before/after: strict bounds, every start inside the window, exactly the expected set.
        let (before, after) = (start_ts(&all[10]), start_ts(&all[40]));
        let window = h.list(ActivityQuery { before: Some(before), after: Some(after), page: 1, per_page: 200 }).await;
        let expected: Vec<u64> =
            all.iter().filter(|a| start_ts(a) < before && start_ts(a) > after).map(|a| a.id).collect();
        assert!(expected.len() >= 25, "window holds {} activities", expected.len());
        assert_eq!(ids(&window), expected);
        for a in &window {
            let t = start_ts(a);
            assert!(after < t && t < before, "{} starts at {t}, outside ({after}, {before})", a.id);
        }
        let only_after = h.list(ActivityQuery { after: Some(start_ts(&all[5])), ..ActivityQuery::default() }).await;
        assert_eq!(ids(&only_after), ids(&all[..5]));
        let cutoff = base.timestamp() + 30 * 3600 * 10; // before the 11th old upload
        let old =
            h.list(ActivityQuery { before: Some(cutoff), page: 1, per_page: 200, ..ActivityQuery::default() }).await;
        assert_eq!(old.len(), 10, "the ten oldest uploads start before the cutoff");
        assert!(old.iter().all(|a| start_ts(a) < cutoff && a.name.starts_with("old run ")));
    });
}
