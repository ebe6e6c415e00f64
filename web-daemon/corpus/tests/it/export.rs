//! The bulk-export ZIP: determinism, Strava's layout and CSV, and the injected faults.

use std::collections::HashSet;
use std::io::{Cursor, Read};

use pacer_corpus::{ACTIVITIES_HEADER, FaultKind, Faults, activity_date, export_zip, generate, zip_bomb};

use crate::{corrupt_export, small_spec, year};

#[test]
fn same_seed_same_bytes_different_seed_different_bytes() {
    let a = export_zip(&generate(&small_spec(11)), &Faults::all()).unwrap();
    let b = export_zip(&generate(&small_spec(11)), &Faults::all()).unwrap();
    let c = export_zip(&generate(&small_spec(12)), &Faults::all()).unwrap();
    assert_eq!(a.zip.len(), b.zip.len());
    assert!(a.zip == b.zip, "byte-identical");
    assert!(a.zip != c.zip);
    assert_eq!(a.rows.len(), 32);
}

#[test]
fn strava_layout_with_every_csv_filename_present() {
    let export = corrupt_export();
    let mut zip = zip::ZipArchive::new(Cursor::new(&export.zip[..])).unwrap();
    let names: HashSet<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    for name in ["activities.csv", "profile.csv", "media/", "activities/"] {
        assert!(names.contains(name), "{name}");
    }
    let mut text = String::new();
    zip.by_name("activities.csv").unwrap().read_to_string(&mut text).unwrap();
    let mut csv = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = csv.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, ACTIVITIES_HEADER);
    assert_eq!(header.iter().filter(|h| *h == "Elapsed Time").count(), 2);
    assert_eq!(header.iter().filter(|h| *h == "Distance").count(), 2);
    let filename = header.iter().position(|h| h == "Filename").unwrap();
    let missing: HashSet<&str> =
        export.faults.iter().filter(|f| f.kind == FaultKind::MissingFile).map(|f| f.entry.as_str()).collect();
    let mut rows = 0;
    for row in csv.records() {
        let row = row.unwrap();
        let file = &row[filename];
        assert_eq!(names.contains(file), !missing.contains(file), "{file}");
        rows += 1;
    }
    assert_eq!(rows, year().len() + 2, "activities + notes.txt + ../evil.fit");
    let first = &year()[0];
    let date = activity_date(first);
    assert!(text.lines().nth(1).unwrap().contains(&format!("\"{date}\"")), "{date}");
    assert!(date.ends_with(" AM") || date.ends_with(" PM"));
}

#[test]
fn csv_values_match_the_true_totals() {
    let export = corrupt_export();
    let mut zip = zip::ZipArchive::new(Cursor::new(&export.zip[..])).unwrap();
    let mut csv = csv::Reader::from_reader(zip.by_name("activities.csv").unwrap());
    let header: Vec<String> = csv.headers().unwrap().iter().map(String::from).collect();
    let nth = |name: &str, n: usize| header.iter().enumerate().filter(|(_, h)| *h == name).nth(n).unwrap().0;
    for (row, a) in csv.records().zip(year()) {
        let row = row.unwrap();
        assert_eq!(row[0].parse::<u64>().unwrap(), a.id);
        assert_eq!(&row[nth("Activity Type", 0)], a.sport.as_str());
        assert_eq!(row[nth("Elapsed Time", 0)].parse::<u32>().unwrap(), a.totals.elapsed_s);
        let metres: f64 = row[nth("Distance", 1)].parse().unwrap();
        assert!((metres - a.totals.distance_m).abs() < 0.06);
        let km: f64 = row[nth("Distance", 0)].parse().unwrap();
        assert!((km * 1000.0 - a.totals.distance_m).abs() < 5.1);
        assert_eq!(&row[nth("Activity Description", 0)], a.description);
    }
}

#[test]
fn faults_are_reported_exactly() {
    let export = corrupt_export();
    let kinds: Vec<FaultKind> = export.faults.iter().map(|f| f.kind).collect();
    use FaultKind::*;
    assert_eq!(kinds, [TruncatedFit, BadCrcFit, MalformedXml, UnsupportedFile, MissingFile, PathTraversal]);
    let mut zip = zip::ZipArchive::new(Cursor::new(&export.zip[..])).unwrap();
    let read = |zip: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str| {
        let mut bytes = Vec::new();
        zip.by_name(name).unwrap().read_to_end(&mut bytes).unwrap();
        bytes
    };
    for fault in &export.faults {
        assert_eq!(export.filename(fault.activity_id), Some(fault.entry.as_str()));
        match fault.kind {
            TruncatedFit | BadCrcFit => {
                assert!(fault.entry.ends_with(".fit"));
                assert!(fitparser::from_bytes(&read(&mut zip, &fault.entry)).is_err(), "{fault:?}");
            }
            MalformedXml => assert!(fault.entry.ends_with(".gpx") || fault.entry.ends_with(".tcx")),
            UnsupportedFile => assert_eq!(fault.entry, "activities/notes.txt"),
            MissingFile => assert!(zip.by_name(&fault.entry).is_err()),
            PathTraversal => {
                assert_eq!(fault.entry, "../evil.fit");
                let file = zip.by_name("../evil.fit").unwrap();
                assert!(file.enclosed_name().is_none(), "zip itself flags it as unsafe");
            }
        }
    }
    let clean = export_zip(&year()[..6], &Faults::default()).unwrap();
    assert!(clean.faults.is_empty());
    assert_eq!(clean.rows.len(), 6);
}

#[test]
fn zip_bomb_is_tiny_and_inflates_to_zeros() {
    let bomb = zip_bomb(64 << 20);
    assert_eq!(bomb.uncompressed_size, 64 << 20);
    assert!(
        bomb.zip.len() * 500 < bomb.uncompressed_size as usize,
        "ratio {}",
        bomb.uncompressed_size as usize / bomb.zip.len()
    );
    let mut zip = zip::ZipArchive::new(Cursor::new(&bomb.zip[..])).unwrap();
    let mut entry = zip.by_name(&bomb.entry).unwrap();
    assert_eq!(entry.size(), bomb.uncompressed_size);
    let (mut total, mut buf) = (0u64, vec![0u8; 1 << 16]);
    loop {
        let n = entry.read(&mut buf).unwrap(); // the zip reader checks the CRC at the end
        if n == 0 {
            break;
        }
        assert!(buf[..n].iter().all(|b| *b == 0));
        total += n as u64;
    }
    assert_eq!(total, bomb.uncompressed_size);
    assert_eq!(zip_bomb(1 << 30).uncompressed_size, 1 << 30);
}
