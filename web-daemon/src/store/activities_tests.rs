use super::*;
use crate::store::cache_windows::{Probe, Probed};
use crate::store::{Store, activity_streams, cache_windows, tenants, users};

struct Fx {
    _dir: tempfile::TempDir,
    store: Store,
    tenant: TenantId,
    user: UserId,
}

fn fx() -> Fx {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("pacer.db")).expect("open");
    store.migrate().expect("migrate");
    let conn = store.conn().expect("conn");
    let tenant = tenants::get_or_create(&conn, "club").expect("tenant").id;
    let user = users::create(&conn, &tenant, "ann@example.com", None).expect("user").info.id;
    drop(conn);
    Fx { _dir: dir, store, tenant, user }
}

pub(crate) fn record(id: u64, start: i64, source: RowSource) -> ActivityRecord {
    let activity = Activity {
        id,
        name: format!("Activity {id}"),
        sport_type: "Run".into(),
        start_date: String::new(),
        start_date_local: String::new(),
        timezone: Some("Europe/Amsterdam".into()),
        distance_m: 10_000.0,
        moving_time_s: 3_000,
        elapsed_time_s: 3_100,
        total_elevation_gain_m: 42.0,
        average_speed_mps: 3.33,
        max_speed_mps: 5.0,
        average_heartrate_bpm: Some(150.0),
        max_heartrate_bpm: Some(175.0),
        average_cadence_rpm: Some(88.0),
        average_watts: None,
        kilojoules: None,
        trainer: false,
        commute: false,
        manual: false,
        external_id: None,
    };
    let file = source == RowSource::File;
    ActivityRecord {
        detail: ActivityDetail {
            activity,
            description: Some("easy".into()),
            calories_kcal: None,
            device_name: None,
            gear_id: None,
        },
        start_epoch_s: start,
        utc_offset_s: 3600,
        time_zone: Some("Europe/Amsterdam".into()),
        zone_source: ZoneSource::File,
        source,
        source_id: id.to_string(),
        content_hash: file.then(|| {
            let mut h = [0u8; 32];
            h[..8].copy_from_slice(&id.to_be_bytes());
            h
        }),
        start_latlng: Some([52.37, 4.89]),
        has_detail: file,
        laps: vec![LapRecord {
            start_epoch_s: start,
            elapsed_time_s: 3_100,
            moving_time_s: 3_000,
            distance_m: 10_000.0,
            average_heartrate_bpm: Some(150.0),
            average_watts: None,
        }],
        normalized_watts: None,
        efforts: vec![("time_1k".into(), 240.0)],
        fetched_at: 1_000,
        expires_at: if file { None } else { Some(2_000) },
    }
}

fn insert(f: &Fx, rec: &ActivityRecord) -> FileInsert {
    let conn = f.store.conn().expect("conn");
    let tx = conn.transaction().expect("tx");
    let out = insert_file(&tx, &f.tenant, &f.user, rec).expect("insert");
    tx.commit().expect("commit");
    out
}

#[test]
fn files_round_trip_with_local_time_and_laps() {
    let f = fx();
    assert_eq!(insert(&f, &record(7, 1_700_000_000, RowSource::File)), FileInsert::Stored(7));
    let conn = f.store.conn().expect("conn");
    let got = get(&conn, &f.tenant, &f.user, 7, 5_000).expect("get").expect("row");
    assert_eq!(got.detail.activity.start_date, "2023-11-14T22:13:20Z");
    assert_eq!(got.detail.activity.start_date_local, "2023-11-14T23:13:20+01:00");
    assert_eq!(got.laps.len(), 1);
    assert_eq!(got.expires_at, None);
    assert_eq!(got.content_hash, record(7, 0, RowSource::File).content_hash);
}

#[test]
fn same_file_twice_is_a_duplicate() {
    let f = fx();
    let rec = record(7, 1_700_000_000, RowSource::File);
    assert_eq!(insert(&f, &rec), FileInsert::Stored(7));
    assert_eq!(insert(&f, &rec), FileInsert::Duplicate(7));
    let conn = f.store.conn().expect("conn");
    assert_eq!(count(&conn, &f.tenant, &f.user, 5_000).expect("count"), (1, 0));
}

#[test]
fn files_win_over_api_rows_and_api_rows_expire() {
    let f = fx();
    let conn = f.store.conn().expect("conn");
    upsert_api(&conn, &f.tenant, &f.user, &[record(1, 100, RowSource::Api(ProviderId::Strava))]).expect("api");
    assert_eq!(insert(&f, &record(1, 100, RowSource::File)), FileInsert::Stored(1), "a file replaces the API copy");
    let written =
        upsert_api(&conn, &f.tenant, &f.user, &[record(1, 100, RowSource::Api(ProviderId::Strava))]).expect("api");
    assert_eq!(written, 0, "an API row never replaces a file row");
    upsert_api(&conn, &f.tenant, &f.user, &[record(2, 200, RowSource::Api(ProviderId::Strava))]).expect("api");
    let live = |now| list(&conn, &f.tenant, &f.user, &ActivityFilter { limit: 10, ..Default::default() }, now);
    assert_eq!(live(1_500).expect("list").len(), 2);
    assert_eq!(live(2_000).expect("list").len(), 1, "API row past expires_at is not served");
    assert_eq!(sweep_expired(&conn, 2_000).expect("sweep"), 1);
    assert_eq!(count(&conn, &f.tenant, &f.user, 0).expect("count"), (1, 0), "the file row stays");
}

#[test]
fn list_filters_and_orders() {
    let f = fx();
    for (id, start) in [(1, 100), (2, 300), (3, 200)] {
        insert(&f, &record(id, start, RowSource::File));
    }
    let conn = f.store.conn().expect("conn");
    let ids = |filter: ActivityFilter| -> Vec<u64> {
        list(&conn, &f.tenant, &f.user, &filter, 0).expect("list").iter().map(|r| r.detail.activity.id).collect()
    };
    assert_eq!(ids(ActivityFilter { limit: 10, ..Default::default() }), [2, 3, 1]);
    assert_eq!(ids(ActivityFilter { limit: 10, after: Some(100), before: Some(300), ..Default::default() }), [3]);
    assert_eq!(ids(ActivityFilter { limit: 1, offset: 1, ..Default::default() }), [3]);
    assert_eq!(ids(ActivityFilter { limit: 10, sport_type: Some("run".into()), ..Default::default() }).len(), 3);
    assert!(ids(ActivityFilter { limit: 10, sport_type: Some("Ride".into()), ..Default::default() }).is_empty());
}

#[test]
fn other_users_and_tenants_see_nothing_and_deleting_a_user_deletes_their_data() {
    let f = fx();
    insert(&f, &record(1, 100, RowSource::File));
    let conn = f.store.conn().expect("conn");
    let other_tenant = tenants::get_or_create(&conn, "other").expect("tenant").id;
    let other_user = users::create(&conn, &f.tenant, "bob@example.com", None).expect("user").info.id;
    let all = ActivityFilter { limit: 10, ..Default::default() };
    assert!(list(&conn, &f.tenant, &other_user, &all, 0).expect("list").is_empty());
    assert!(list(&conn, &other_tenant, &f.user, &all, 0).expect("list").is_empty());
    assert!(get(&conn, &other_tenant, &f.user, 1, 0).expect("get").is_none());
    let streams = activity_streams::StoredStreams {
        original_points: 3,
        series: [("time".to_owned(), vec![0.into(), 1.into(), 2.into()])].into(),
    };
    activity_streams::put(&conn, &f.tenant, &f.user, 1, &streams).expect("streams");
    assert_eq!(activity_streams::get(&conn, &f.tenant, &f.user, 1, 0).expect("get"), Some(streams));
    assert_eq!(activity_streams::get(&conn, &f.tenant, &other_user, 1, 0).expect("get"), None);
    conn.execute("DELETE FROM users WHERE id = ?1", params![f.user.as_str()]).expect("delete user");
    for table in ["activities", "activity_laps", "activity_streams"] {
        let n: i64 = conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), params![], |r| r.get(0)).expect("count");
        assert_eq!(n, 0, "{table} rows of a deleted user remain");
    }
}

#[test]
fn cache_windows_cover_and_expire() {
    let f = fx();
    let conn = f.store.conn().expect("conn");
    let s = ProviderId::Strava;
    cache_windows::add(&conn, &f.tenant, &f.user, s, (100, 1_000), 50, 500).expect("add");
    assert!(cache_windows::covers(&conn, &f.tenant, &f.user, s, (200, 900), 60).expect("covers"));
    assert!(!cache_windows::covers(&conn, &f.tenant, &f.user, s, (50, 900), 60).expect("covers"));
    assert!(!cache_windows::covers(&conn, &f.tenant, &f.user, s, (200, 900), 500).expect("expired"));
}

#[test]
fn a_page_answers_its_probe_as_the_probe_alone_does() {
    let f = fx();
    let conn = f.store.conn().expect("conn");
    let s = ProviderId::Strava;
    let now = 60;
    let mut api = record(7, 300, RowSource::Api(s));
    api.expires_at = Some(10_000);
    upsert_api(&conn, &f.tenant, &f.user, &[api]).expect("api row");
    cache_windows::add(&conn, &f.tenant, &f.user, s, (100, 1_000), 50, 500).expect("window");
    let list_filter = ActivityFilter { limit: 10, ..Default::default() };
    let search_filter = SearchFilter { limit: 10, ..SearchFilter::default() };
    let check = |connected: bool| {
        for needed in [Some((200, 900)), Some((50, 900)), None] {
            let probe = Probe { provider: s, needed };
            let alone = probe.ask(&conn, &f.tenant, &f.user, now).expect("probe");
            assert_eq!(alone, Probed { connected, covered: needed == Some((200, 900)) }, "alone, {needed:?}");
            let (rows, with_list) =
                list_probed(&conn, &f.tenant, &f.user, &list_filter, now, Some(&probe)).expect("list");
            assert_eq!((rows.len(), with_list), (1, Some(alone)), "list, {needed:?}");
            let (rows, with_search) =
                search_probed(&conn, &f.tenant, &f.user, &search_filter, now, Some(&probe)).expect("search");
            assert_eq!((rows.len(), with_search), (1, Some(alone)), "search, {needed:?}");
        }
    };
    check(false);
    let token = crate::store::TokenRow {
        tenant_id: f.tenant.clone(),
        user_id: f.user.clone(),
        provider: s,
        nonce: vec![0; 12],
        ciphertext: vec![1; 16],
        expires_at: 0,
        athlete_id: None,
        scopes: String::new(),
        updated_at: "2026-01-01T00:00:00Z".into(),
    };
    crate::store::tokens::upsert(&conn, &token).expect("token");
    check(true);
    // An empty page has no row to carry the probe: the caller asks it alone.
    let empty = ActivityFilter { after: Some(5_000), limit: 10, ..Default::default() };
    let probe = Probe { provider: s, needed: None };
    assert_eq!(list_probed(&conn, &f.tenant, &f.user, &empty, now, Some(&probe)).expect("empty").1, None);
}
