//! Uploads: processing, duplicates (same bytes or same external id) and corrupt files.

use chrono::Utc;
use pacerd::provider::{Activity, ActivityQuery};
use serde_json::json;

use super::{Harness, STATUS_ERROR, STATUS_PROCESSING, STATUS_READY, start_ts, upload_request};
use crate::data::gpx;

#[test]
fn upload_lifecycle_duplicates_and_corrupt_files() {
    let h = Harness::start();
    h.run(async {
        let start = Utc::now() - chrono::Duration::hours(1);
        let start = start - chrono::Duration::nanoseconds(i64::from(start.timestamp_subsec_nanos()));
        let (file, expected_m) = gpx(start, 300, 2, (45.0, 6.0));
        assert!((1500.0..1800.0).contains(&expected_m), "{expected_m}");

        let first = h.upload(upload_request(file.clone(), "IT lunch run", Some("it-run-1"))).await.expect("upload");
        assert_eq!(first.status, STATUS_PROCESSING);
        assert_eq!((first.activity_id, first.error.as_deref()), (None, None));
        assert_eq!(first.external_id.as_deref(), Some("it-run-1"));
        let done = h.poll_upload(first.upload_id).await;
        assert_eq!(done.upload_id, first.upload_id);
        assert_eq!(done.status, STATUS_READY);
        assert_eq!(done.error, None);
        let activity_id = done.activity_id.expect("activity id");

        let recent = h.list(ActivityQuery { after: Some(start.timestamp() - 60), ..ActivityQuery::default() }).await;
        let listed = recent.iter().find(|a| a.id == activity_id).expect("the upload is listed");
        assert_eq!(listed.name, "IT lunch run");
        assert_eq!(listed.sport_type, "Run");
        assert_eq!(start_ts(listed), start.timestamp());
        assert!(
            (listed.distance_m - expected_m).abs() <= expected_m * 0.02,
            "distance {} m, track is {expected_m:.1} m",
            listed.distance_m
        );
        assert_eq!(listed.elapsed_time_s, 598);
        let hr = listed.average_heartrate_bpm.expect("heart rate recorded");
        assert!((130.0..=154.0).contains(&hr), "average heart rate {hr}");
        assert_eq!(listed.external_id.as_deref(), Some("it-run-1"));
        let detail =
            h.call_as(&h.owner, |c, t| async move { c.activity(&t, activity_id).await }).await.expect("detail");
        assert_eq!(detail.description.as_deref(), Some("uploaded by the integration test"));
        let keys = vec!["heartrate".to_owned(), "altitude".to_owned()];
        let streams = h
            .call_as(&h.owner, |c, t| {
                let keys = keys.clone();
                async move { c.streams(&t, activity_id, &keys).await }
            })
            .await
            .expect("streams of the upload");
        assert_eq!(streams.original_points, 300);
        assert_eq!(streams.series["heartrate"][0], json!(130));

        // The same bytes again (no external id): a duplicate of the first activity.
        let again = h.upload(upload_request(file.clone(), "again", None)).await.expect("upload again");
        assert_eq!(again.status, STATUS_PROCESSING);
        let again = h.poll_upload(again.upload_id).await;
        assert_eq!(again.activity_id, None);
        assert_eq!(again.status, STATUS_ERROR);
        let error = again.error.expect("duplicate error");
        assert!(error.contains(&format!("duplicate of activity {activity_id}")), "{error}");

        // Different bytes, same external id: also a duplicate.
        let (shifted, _) = gpx(start - chrono::Duration::hours(5), 300, 2, (45.0, 6.0));
        let same_id = h.upload(upload_request(shifted, "same id", Some("it-run-1"))).await.expect("upload");
        let same_id = h.poll_upload(same_id.upload_id).await;
        assert_eq!(same_id.activity_id, None);
        let error = same_id.error.expect("duplicate error");
        assert!(error.contains(&format!("duplicate of activity {activity_id}")), "{error}");

        // A truncated file: processing fails with an error status, nothing is created.
        let corrupt = file[..file.len() / 2].to_vec();
        let bad = h.upload(upload_request(corrupt, "corrupt", Some("it-corrupt"))).await.expect("accepted");
        assert_eq!(bad.status, STATUS_PROCESSING);
        let bad = h.poll_upload(bad.upload_id).await;
        assert_eq!((bad.status.as_str(), bad.activity_id), (STATUS_ERROR, None));
        let error = bad.error.expect("parse error");
        assert!(!error.contains("duplicate"), "{error}");
        // A gzip data type with plain bytes is refused the same way.
        let mut not_gz = upload_request(file.clone(), "not gz", Some("it-not-gz"));
        not_gz.data_type = "gpx.gz".into();
        let not_gz = h.upload(not_gz).await.expect("accepted");
        let not_gz = h.poll_upload(not_gz.upload_id).await;
        assert!(not_gz.error.is_some_and(|e| e.contains("gzip")), "gzip mismatch reported");

        let after =
            h.list(ActivityQuery { after: Some(start.timestamp() - 6 * 3600), ..ActivityQuery::default() }).await;
        let uploaded: Vec<&Activity> =
            after.iter().filter(|a| a.external_id.as_deref().is_some_and(|e| e.starts_with("it-"))).collect();
        assert_eq!(uploaded.len(), 1, "only the first upload became an activity");
    });
}
