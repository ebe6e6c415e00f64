//! GPX and TCX files are well-formed XML with one point per sample.

use pacer_corpus::{FileFormat, FileKind, GeneratedActivity, SportType, break_xml, encode};
use quick_xml::Reader;
use quick_xml::events::Event;

use crate::year;

/// Counts start tags called `tag` (local name), failing on malformed XML.
fn count(xml: &[u8], tag: &[u8]) -> Result<usize, quick_xml::Error> {
    let mut reader = Reader::from_reader(xml);
    reader.config_mut().check_end_names = true;
    let mut buf = Vec::new();
    let (mut n, mut depth) = (0, 0i32);
    loop {
        match reader.read_event_into(&mut buf)? {
            Event::Start(e) => {
                depth += 1;
                if e.local_name().as_ref() == tag {
                    n += 1;
                }
            }
            Event::End(_) => depth -= 1,
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    assert_eq!(depth, 0, "every element closed");
    Ok(n)
}

fn check(a: &GeneratedActivity, format: FileFormat) {
    let xml = encode(a, FileKind { format, gzip: false });
    let (tag, expected): (&[u8], usize) = match format {
        FileFormat::Gpx => (b"trkpt", a.samples.iter().filter(|s| s.position.is_some()).count()),
        _ => (b"Trackpoint", a.samples.len()),
    };
    assert_eq!(count(&xml, tag).unwrap_or_else(|e| panic!("{}: {e}", a.id)), expected, "{}", a.id);
    if format == FileFormat::Tcx {
        assert_eq!(count(&xml, b"Lap").unwrap(), a.laps.len());
    }
}

#[test]
fn every_gpx_and_tcx_is_well_formed_with_one_point_per_sample() {
    let year = year();
    let mut checked = 0;
    for a in year.iter().filter(|a| a.file.format != FileFormat::Fit) {
        check(a, a.file.format);
        checked += 1;
    }
    assert!(checked >= 30, "{checked} XML files");
    for sport in [SportType::Run, SportType::TrailRun, SportType::Ride] {
        let a = year.iter().find(|a| a.sport == sport).unwrap();
        check(a, FileFormat::Gpx);
        check(a, FileFormat::Tcx);
    }
    let indoor = year.iter().find(|a| a.sport == SportType::VirtualRide).unwrap();
    check(indoor, FileFormat::Tcx);
}

#[test]
fn gpx_carries_type_power_and_trackpoint_extension() {
    let ride = year().iter().find(|a| a.sport == SportType::Ride).unwrap();
    let gpx = String::from_utf8(encode(ride, FileKind { format: FileFormat::Gpx, gzip: false })).unwrap();
    assert!(gpx.contains("<type>cycling</type>"));
    assert!(gpx.contains("<power>") && gpx.contains("<gpxtpx:hr>") && gpx.contains("<gpxtpx:cad>"));
    let tcx = String::from_utf8(encode(ride, FileKind { format: FileFormat::Tcx, gzip: false })).unwrap();
    assert!(tcx.contains("Sport=\"Biking\"") && tcx.contains("<ns3:Watts>") && tcx.contains("<TotalTimeSeconds>"));
}

#[test]
fn broken_xml_is_rejected() {
    let run = year().iter().find(|a| a.sport == SportType::Run).unwrap();
    let gpx = String::from_utf8(encode(run, FileKind { format: FileFormat::Gpx, gzip: false })).unwrap();
    assert!(count(break_xml(&gpx).as_bytes(), b"trkpt").is_err());
}
