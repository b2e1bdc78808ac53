//! The JSON report of every fixture host, snapshotted: a change to any check's verdict, message,
//! evidence or fix hint shows here in review (timing fields and this checkout's path excepted).

mod common;

use common::*;

#[test]
fn every_fixture_host_reports_as_before() {
    let mut hosts: Vec<_> = std::fs::read_dir(fixture(""))
        .expect("tests/fixtures/hosts")
        .map(|e| e.expect("a fixture entry").file_name().to_string_lossy().into_owned())
        .collect();
    hosts.sort();
    for host in hosts {
        let root = fixture(&host);
        let r = run(&["--json", "--host-root", root.to_str().unwrap()]);
        insta::assert_snapshot!(format!("host__{host}"), stable_report(&r.json(), &[]));
    }
}
