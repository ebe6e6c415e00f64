//! The Strava bulk-export reader: CSV metadata, skipped entries, zip bombs, unsafe names.

use std::io::{Cursor, Write as _};

use pacer_files::archive::{ArchiveError, ArchiveItem, ArchiveLimits, SkipReason, StravaArchive};
use pacer_files::testing::{gpx, gzip, running_fit};
use pacer_files::{DataType, FileKind, Limits, parse};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// A ZIP of `(name, bytes)` entries (deflated; names ending `/` become directories).
fn zip_of(entries: &[(&str, &[u8])]) -> Cursor<Vec<u8>> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, bytes) in entries {
        if name.ends_with('/') {
            zip.add_directory(*name, options).expect("directory");
        } else {
            zip.start_file(*name, options).expect("entry");
            zip.write_all(bytes).expect("write");
        }
    }
    let mut cursor = zip.finish().expect("zip");
    cursor.set_position(0);
    cursor
}

/// Strava's header: note the repeated `Elapsed Time` and `Distance` columns.
const CSV: &str = "Activity ID,Activity Date,Activity Name,Activity Type,Activity Description,Elapsed Time,Distance,Max Heart Rate,Relative Effort,Commute,Activity Private Note,Activity Gear,Filename,Athlete Weight,Bike Weight,Elapsed Time,Moving Time,Distance\n\
10485720934,\"Jan 5, 2024, 7:12:34 AM\",Morning Run,Run,\"Easy, with \"\"strides\"\"\",1234,5.01,170,20,false,,,activities/10485720934.fit.gz,,,1234.0,1200.0,5012.3\n\
10485720935,\"Jan 6, 2024, 5:00:00 PM\",Gym,Weight Training,,3600,0,,,false,,,,,,3600.0,3600.0,0\n\
10485720936,\"Jan 7, 2024, 8:00:00 AM\",Hike,Hike,,600,1.1,,,false,,,activities/10485720936.gpx,,,600.0,600.0,1111.9\n";

#[test]
fn export_yields_activities_with_csv_rows_and_skips_the_rest() {
    let fit_gz = gzip(&running_fit(1_704_438_754, 20));
    let hike = gpx(1_704_614_400, 3, "hiking");
    let zip = zip_of(&[
        ("activities.csv", CSV.as_bytes()),
        ("activities/", b""),
        ("activities/10485720934.fit.gz", &fit_gz),
        ("activities/10485720936.gpx", hike.as_bytes()),
        ("activities/99.tcx", b"<TrainingCenterDatabase/>"),
        ("activities/readme.txt", b"hello"),
        ("media/photo.jpg", b"\xff\xd8\xff"),
        ("profile.csv", b"x"),
    ]);
    let archive = StravaArchive::open(zip, ArchiveLimits::DEFAULT).expect("open");
    assert_eq!(archive.remaining(), 4);
    assert_eq!(archive.csv_rows_missing_file().len(), 1);
    assert_eq!(archive.csv_rows_missing_file()[0].activity_type.as_deref(), Some("Weight Training"));
    let items: Vec<ArchiveItem> = archive.map(|item| item.expect("item")).collect();
    let ArchiveItem::Activity(run) = &items[0] else { panic!("{:?}", items[0]) };
    assert_eq!(
        (run.name.as_str(), run.data_type),
        ("activities/10485720934.fit.gz", DataType::new(FileKind::Fit, true))
    );
    let csv = run.csv.as_ref().expect("csv row");
    assert_eq!(
        (csv.id, csv.name.as_deref(), csv.activity_type.as_deref()),
        (Some(10485720934), Some("Morning Run"), Some("Run"))
    );
    assert_eq!(csv.description.as_deref(), Some("Easy, with \"strides\""));
    assert_eq!(csv.date.map(|d| d.timestamp()), Some(1_704_438_754));
    assert_eq!(parse(&run.bytes, run.data_type, &Limits::DEFAULT).map(|f| f.points.len()), Ok(20));
    let ArchiveItem::Activity(walk) = &items[1] else { panic!("{:?}", items[1]) };
    assert_eq!(walk.csv.as_ref().and_then(|c| c.name.as_deref()), Some("Hike"));
    let ArchiveItem::Activity(no_row) = &items[2] else { panic!("{:?}", items[2]) };
    assert_eq!((no_row.name.as_str(), no_row.csv.as_ref()), ("activities/99.tcx", None));
    assert_eq!(
        items[3],
        ArchiveItem::Skipped { name: "activities/readme.txt".into(), reason: SkipReason::UnsupportedType }
    );
}

#[test]
fn export_inside_a_folder_and_without_csv() {
    let fit = running_fit(1_704_438_754, 3);
    let zip = zip_of(&[
        ("export_1/activities.csv", CSV.as_bytes()),
        ("export_1/activities/10485720936.gpx", gpx(0, 2, "x").as_bytes()),
    ]);
    let items: Vec<_> = StravaArchive::open(zip, ArchiveLimits::DEFAULT).expect("open").collect();
    let Some(Ok(ArchiveItem::Activity(entry))) = items.first() else { panic!("{items:?}") };
    assert_eq!((entry.name.as_str(), entry.csv.is_some()), ("activities/10485720936.gpx", true));
    let archive = StravaArchive::open(
        zip_of(&[("export_1/activities.csv", CSV.as_bytes()), ("export_1/activities/10485720936.gpx", b"")]),
        ArchiveLimits::DEFAULT,
    )
    .expect("open");
    let missing: Vec<Option<u64>> = archive.csv_rows_missing_file().iter().map(|r| r.id).collect();
    assert_eq!(missing, [Some(10485720935), Some(10485720934)], "no file, then a file the archive lacks");

    let zip = zip_of(&[("activities/1.fit", &fit)]);
    let items: Vec<_> = StravaArchive::open(zip, ArchiveLimits::DEFAULT).expect("open").collect();
    assert!(matches!(items.as_slice(), [Ok(ArchiveItem::Activity(e))] if e.csv.is_none() && e.bytes == fit));
}

#[test]
fn unsafe_entry_names_refuse_the_archive() {
    for name in ["../x.fit", "/etc/x", "activities/../../x.fit"] {
        let zip = zip_of(&[("activities/1.gpx", b"<gpx/>"), (name, b"x")]);
        let err = StravaArchive::open(zip, ArchiveLimits::DEFAULT).err();
        assert_eq!(err, Some(ArchiveError::UnsafeEntryName { name: name.into() }));
        assert_eq!(err.as_ref().and_then(ArchiveError::entry_name), Some(name));
        let message = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains(name), "{message}");
    }
}

#[test]
fn zip_bomb_entry_is_refused_and_the_others_still_read() {
    // 20 MiB of zeros deflates ~1000:1: under the entry cap, over the ratio cap.
    let zeros = vec![0u8; 20 << 20];
    let zip = zip_of(&[("activities/bomb.gpx", &zeros), ("activities/ok.gpx", gpx(0, 2, "x").as_bytes())]);
    let mut archive = StravaArchive::open(zip, ArchiveLimits::DEFAULT).expect("open");
    let first = archive.next().map(|r| r.err());
    assert_eq!(first, Some(Some(ArchiveError::Bomb { name: "activities/bomb.gpx".into(), max_ratio: 200 })));
    assert!(matches!(archive.next(), Some(Ok(ArchiveItem::Activity(_)))));
    assert!(archive.next().is_none());
}

#[test]
fn caps_on_entry_size_total_and_count() {
    let big = vec![b'x'; 3 << 20];
    let limits = ArchiveLimits { max_entry_bytes: 2 << 20, max_ratio: 1_000_000, ..ArchiveLimits::DEFAULT };
    let mut archive = StravaArchive::open(zip_of(&[("activities/a.gpx", &big)]), limits).expect("open");
    assert!(matches!(archive.next(), Some(Err(ArchiveError::EntryTooLarge { .. }))));

    let limits = ArchiveLimits { max_total_bytes: 4 << 20, max_ratio: 1_000_000, ..ArchiveLimits::DEFAULT };
    let err = StravaArchive::open(zip_of(&[("activities/a.gpx", &big), ("activities/b.gpx", &big)]), limits).err();
    assert_eq!(err, Some(ArchiveError::TooLarge { max: 4 << 20 }));

    let limits = ArchiveLimits { max_entries: 2, ..ArchiveLimits::DEFAULT };
    let err = StravaArchive::open(zip_of(&[("a", b""), ("b", b""), ("c", b"")]), limits).err();
    assert_eq!(err, Some(ArchiveError::TooManyEntries { count: 3, max: 2 }));

    let err = StravaArchive::open(Cursor::new(b"not a zip".to_vec()), ArchiveLimits::DEFAULT).err();
    assert!(matches!(err, Some(ArchiveError::Zip(_))), "{err:?}");
}
