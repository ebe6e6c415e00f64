//! Activity detail and streams: aligned series, downsampling, unknown activities.

use pacerd::provider::ProviderError;

use super::Harness;

#[test]
fn streams_are_aligned_and_downsampled() {
    let h = Harness::start();
    h.run(async {
        let all = h.all_activities().await;
        let run = all.iter().find(|a| a.sport_type == "Run").expect("a seeded run");
        let detail =
            h.call_as(&h.owner, |c, t| async move { c.activity(&t, run.id).await }).await.expect("activity detail");
        assert_eq!(detail.activity.id, run.id);
        assert_eq!(detail.activity.distance_m, run.distance_m);

        let keys: Vec<String> =
            ["heartrate", "altitude", "latlng", "cadence", "velocity_smooth"].map(String::from).to_vec();
        let streams = h
            .call_as(&h.owner, |c, t| {
                let keys = keys.clone();
                async move { c.streams(&t, run.id, &keys).await }
            })
            .await
            .expect("streams");
        assert_eq!(streams.activity_id, run.id);
        for key in ["time", "distance", "heartrate", "altitude", "latlng", "cadence", "velocity_smooth"] {
            assert!(streams.series.contains_key(key), "{key} missing: {:?}", streams.series.keys());
        }
        assert!(!streams.series.contains_key("watts"), "not requested");
        let n = streams.original_points;
        assert!(n > 200, "a run has many samples: {n}");
        assert_eq!(streams.returned_points, n);
        for (key, values) in &streams.series {
            assert_eq!(values.len(), n, "{key} has {} samples, expected {n}", values.len());
        }
        let time: Vec<i64> = streams.series["time"].iter().map(|v| v.as_i64().expect("time")).collect();
        assert_eq!(time[0], 0);
        assert!(time.windows(2).all(|w| w[0] < w[1]), "time strictly increases");
        assert_eq!(*time.last().expect("time"), i64::try_from(run.elapsed_time_s).expect("elapsed"));
        let distance: Vec<f64> = streams.series["distance"].iter().map(|v| v.as_f64().expect("m")).collect();
        assert!(distance.windows(2).all(|w| w[0] <= w[1]), "distance never decreases");
        let total = *distance.last().expect("distance");
        assert!((total - run.distance_m).abs() <= 1.0, "streams end at {total} m, activity says {}", run.distance_m);
        assert!(streams.series["heartrate"].iter().all(|v| (60.0..=220.0).contains(&v.as_f64().expect("bpm"))));
        assert!(streams.series["latlng"].iter().all(|v| v.as_array().is_some_and(|p| p.len() == 2)));

        // Shape-keeping downsampling (LTTB) as the tools and the store use it.
        use pacerd::activities::record::{select, shape_keeping_indices};
        let small = select(&streams.series, &shape_keeping_indices(&streams.series, 100));
        for (key, values) in &small {
            assert_eq!(values.len(), 100, "{key}");
            assert_eq!(values.first(), streams.series[key].first(), "{key} keeps the first sample");
            assert_eq!(values.last(), streams.series[key].last(), "{key} keeps the last sample");
        }
        assert_eq!(shape_keeping_indices(&streams.series, n + 10).len(), n);

        let missing = h.call_as(&h.owner, |c, t| async move { c.streams(&t, 1, &[]).await }).await;
        assert!(matches!(missing, Err(ProviderError::NotFound(_))), "{missing:?}");
    });
}
