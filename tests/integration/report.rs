//! Integration tests: the HTML report (`chokepoint report`, `--report`).
//!
//! - Errors: a folder that is not an output folder, a shard, a missing or malformed file
//!   are clear errors (exit 2) naming the file.
//! - A merged folder's report is the single process's report.
//! - In headless Chromium (Debian's `chromium`): each kind of report, copied alone into an
//!   empty folder, opens, draws data inside every chart's plot area, and makes no network
//!   request. Without chromium the test is skipped with a message, unless
//!   `CHOKEPOINT_REQUIRE_CHROMIUM=1` (set by `.ci/run`), when a missing chromium fails it.
//!
//! How "every chart has drawn data" is checked: each chart's SVG carries an invisible
//! `<rect class="plot-area" data-chart=ID>` over its plot area. A copy of the page with a
//! small script added (the report itself has none, and its Content-Security-Policy would
//! block one) is loaded with `--dump-dom`; the script writes each plot area's position on
//! the page, as the browser laid it out, into the DOM. The untouched page is then
//! screenshot at the same width and its full height, and inside each plot area we count
//! pixels of a saturated colour (`max(r,g,b) - min(r,g,b) > 60`): data is drawn in
//! saturated colours, while the page background, grid, axes, text and closure shading are
//! white or grey. A chart with no data has no such pixel.
//!
//! How "no network request" is checked: `--log-net-log` records every request of the
//! browser. Chromium makes requests of its own (time, component updates) even with the
//! background-networking flags; those have no initiator ("not an origin"). A request made
//! by the page has the page's origin as initiator (`null` for a `file://` page). The test
//! asserts that no request has any initiator but "not an origin", and first shows on a
//! control page with an `<img src="http://127.0.0.1:9/...">` that such a request is seen.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{cli, fixture, root};

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(args: &[&str]) {
    let o = cli(args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
}

fn fails_with(args: &[&str], needles: &[&str]) {
    let o = cli(args);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "{err}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: expected {n:?} in: {err}");
    }
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A run folder and a Monte Carlo folder (with their reports) in a temporary folder.
fn outputs(tmp: &Path) -> (PathBuf, PathBuf) {
    let run = tmp.join("run");
    let mc = tmp.join("mc");
    ok(&[
        "run",
        "scenarios/afghanistan/base.toml",
        "--out",
        p(&run),
        "--report",
    ]);
    let scen = fixture("montecarlo/twoland_random.toml");
    ok(&[
        "montecarlo",
        p(&scen),
        "--runs",
        "60",
        "--seed",
        "3",
        "--threads",
        "1",
        "--quiet",
        "--out",
        p(&mc),
        "--report",
    ]);
    (run, mc)
}

/// A comparison folder (two options of twoland in two futures) with its report.
fn compare_output(tmp: &Path) -> PathBuf {
    let out = tmp.join("compare");
    let base = fixture("montecarlo/twoland_random_fixed.toml");
    let risk = fixture("options/risk.toml");
    let wider = fixture("compare/wider_north.toml");
    let futures = fixture("compare/futures.toml");
    ok(&[
        "compare",
        p(&base),
        p(&risk),
        p(&wider),
        "--futures",
        p(&futures),
        "--threshold",
        "5e6",
        "--runs",
        "40",
        "--seed",
        "3",
        "--bootstrap",
        "100",
        "--quiet",
        "--out",
        p(&out),
        "--report",
    ]);
    out
}

/// A criticality folder (N-1, N-k sets and the Monte Carlo view) with its report.
fn criticality_output(tmp: &Path) -> PathBuf {
    let out = tmp.join("crit");
    ok(&[
        "criticality",
        p(&fixture("criticality/only_route.toml")),
        "--duration",
        "20",
        "--sets",
        p(&fixture("criticality/sets.toml")),
        "--runs",
        "40",
        "--seed",
        "1",
        "--bootstrap",
        "100",
        "--threads",
        "1",
        "--quiet",
        "--out",
        p(&out),
        "--report",
    ]);
    out
}

#[test]
fn report_errors_name_the_file_and_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let (run, mc) = outputs(tmp.path());
    assert!(run.join("report.html").is_file() && mc.join("report.html").is_file());

    // Not a folder; a folder with no manifest.
    fails_with(
        &["report", "no/such/folder"],
        &["no/such/folder", "not a folder"],
    );
    fails_with(
        &["report", "tests/fixtures"],
        &["manifest.json", "not an output folder"],
    );
    // A manifest that is not JSON, or of a command without a report.
    let bad = tmp.path().join("bad");
    fs::create_dir(&bad).unwrap();
    fs::write(bad.join("manifest.json"), "{not json").unwrap();
    fails_with(
        &["report", p(&bad)],
        &["manifest.json", "not a chokepoint manifest"],
    );
    fs::write(bad.join("manifest.json"), r#"{"command":"sightseeing"}"#).unwrap();
    fails_with(
        &["report", p(&bad)],
        &["`sightseeing` folder has no report yet"],
    );

    // A run folder without daily.csv; a Monte Carlo folder without exceedance.csv.
    let run2 = tmp.path().join("run2");
    fs::create_dir(&run2).unwrap();
    for f in ["manifest.json", "run.csv"] {
        fs::copy(run.join(f), run2.join(f)).unwrap();
    }
    fails_with(&["report", p(&run2)], &["daily.csv", "missing"]);
    let mc2 = tmp.path().join("mc2");
    fs::create_dir(&mc2).unwrap();
    for f in ["manifest.json", "summary.csv", "daily_bands.csv"] {
        fs::copy(mc.join(f), mc2.join(f)).unwrap();
    }
    fails_with(&["report", p(&mc2)], &["exceedance.csv", "missing"]);
    // A malformed number names the file, line and column.
    fs::copy(mc.join("exceedance.csv"), mc2.join("exceedance.csv")).unwrap();
    fs::copy(mc.join("convergence.csv"), mc2.join("convergence.csv")).unwrap();
    let text = fs::read_to_string(mc.join("summary.csv")).unwrap();
    let broken = text.replacen("total_loss_usd,mean,", "total_loss_usd,mean,x", 1);
    assert_ne!(text, broken);
    fs::write(mc2.join("summary.csv"), broken).unwrap();
    fails_with(
        &["report", p(&mc2)],
        &["summary.csv:", "(column value)", "is not a number"],
    );

    // A shard: merge first.
    let shard = tmp.path().join("s1");
    let scen = fixture("montecarlo/twoland_random.toml");
    ok(&[
        "montecarlo",
        p(&scen),
        "--runs",
        "10",
        "--shard",
        "1/2",
        "--quiet",
        "--out",
        p(&shard),
    ]);
    fails_with(
        &["report", p(&shard)],
        &["manifest.json", "merge the shards first"],
    );
    // --report with --shard is refused before any run.
    let o = cli(&[
        "montecarlo",
        p(&scen),
        "--runs",
        "10",
        "--shard",
        "1/2",
        "--report",
        "--out",
        p(&tmp.path().join("s9")),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn a_merged_folder_reports_as_one_process() {
    let tmp = tempfile::tempdir().unwrap();
    let scen = fixture("montecarlo/twoland_random.toml");
    let dirs: Vec<PathBuf> = ["one", "s1", "s2", "merged"]
        .iter()
        .map(|d| tmp.path().join(d))
        .collect();
    let common = ["--runs", "30", "--seed", "5", "--quiet"];
    let mut args = vec!["montecarlo", p(&scen), "--out", p(&dirs[0])];
    args.extend(common);
    ok(&args);
    for (k, d) in [("1/2", &dirs[1]), ("2/2", &dirs[2])] {
        let mut args = vec!["montecarlo", p(&scen), "--shard", k, "--out", p(d)];
        args.extend(common);
        ok(&args);
    }
    ok(&["merge", p(&dirs[1]), p(&dirs[2]), "--out", p(&dirs[3])]);
    let html = |d: &Path| {
        let out = d.join("r.html");
        ok(&["report", p(d), "--out", p(&out), "--scenario", p(&scen)]);
        fs::read_to_string(out).unwrap().replace(p(d), "DIR")
    };
    let one = html(&dirs[0]);
    assert!(
        one.contains("id=\"svg-map\""),
        "the map is drawn with --scenario"
    );
    // The controls are on by default: the page gives the controlled mean beside the
    // plain one, and the merged folder's page is the same.
    assert!(one.contains("total loss, with control variates"));
    assert_eq!(one, html(&dirs[3]));
    // Without controlled.csv (--no-controls, or an older folder) there is no such line.
    fs::remove_file(dirs[0].join("controlled.csv")).unwrap();
    assert!(!html(&dirs[0]).contains("with control variates"));
}

// --- In a browser -------------------------------------------------------------------------

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|f| f.is_file())
    })
}

/// Debian's chromium, or `None` (the test skips) unless CHOKEPOINT_REQUIRE_CHROMIUM=1.
fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser"]
        .iter()
        .find_map(|n| on_path(n));
    if found.is_none() {
        if std::env::var("CHOKEPOINT_REQUIRE_CHROMIUM").as_deref() == Ok("1") {
            panic!(
                "chromium is not installed but CHOKEPOINT_REQUIRE_CHROMIUM=1: install it \
                 (`apt-get install chromium`) to run the browser test"
            );
        }
        eprintln!(
            "SKIPPED the browser test of the report: chromium is not installed \
             (`apt-get install chromium`; CI sets CHOKEPOINT_REQUIRE_CHROMIUM=1)"
        );
    }
    found
}

/// Run headless chromium on a file with extra arguments; returns its stdout.
fn browse(chromium: &Path, page: &Path, extra: &[String]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .args(extra)
    .arg(format!("file://{}", page.display()))
    // To a file, not a pipe: a DOM larger than the pipe's buffer would block chromium.
    .stdout(fs::File::create(profile.path().join("stdout")).unwrap())
    .stderr(Stdio::null());
    let mut child = cmd.spawn().expect("chromium starts");
    let t0 = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if t0.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("chromium did not finish within 120 s on {}", page.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "chromium failed on {}", page.display());
    fs::read_to_string(profile.path().join("stdout")).unwrap()
}

/// Requests in a net log made by anyone but the browser itself: (initiator, url).
fn page_requests(net_log: &Path) -> Vec<(String, String)> {
    let text = fs::read_to_string(net_log).expect("chromium wrote its net log");
    let log: serde_json::Value = serde_json::from_str(&text).expect("the net log is JSON");
    let mut out = Vec::new();
    for e in log["events"].as_array().expect("net log events") {
        let params = &e["params"];
        if let Some(url) = params["url"].as_str() {
            if let Some(initiator) = params["initiator"].as_str() {
                if initiator != "not an origin" {
                    out.push((initiator.to_string(), url.to_string()));
                }
            }
        }
    }
    out
}

/// A chart's plot area on the page: (chart id, x, y, width, height) in CSS pixels.
type Area = (String, u32, u32, u32, u32);

/// The positions of the plot areas and the page height, as chromium lays out `html` at
/// `width` pixels.
fn plot_areas(chromium: &Path, html: &str, width: u32) -> (Vec<Area>, u32) {
    let dir = tempfile::tempdir().unwrap();
    let script = "<script>\
        const r = [...document.querySelectorAll('rect.plot-area')].map(e => {\
          const b = e.getBoundingClientRect();\
          return [e.dataset.chart, Math.round(b.left + scrollX), Math.round(b.top + scrollY),\
                  Math.round(b.width), Math.round(b.height)].join(',');\
        });\
        document.body.setAttribute('data-rects', r.join(';'));\
        document.body.setAttribute('data-height', document.documentElement.scrollHeight);\
        </script></body>";
    let csp_start = html
        .find("<meta http-equiv=\"Content-Security-Policy\"")
        .unwrap();
    let csp_end = csp_start + html[csp_start..].find('>').unwrap() + 1;
    let measured = format!("{}{}", &html[..csp_start], &html[csp_end..]).replace("</body>", script);
    let page = dir.path().join("measure.html");
    fs::write(&page, measured).unwrap();
    let dom = browse(
        chromium,
        &page,
        &["--dump-dom".into(), format!("--window-size={width},900")],
    );
    let attr = |name: &str| -> String {
        let key = format!("{name}=\"");
        let i = dom
            .find(&key)
            .unwrap_or_else(|| panic!("no {name} in the DOM"))
            + key.len();
        dom[i..i + dom[i..].find('"').unwrap()].to_string()
    };
    let rects = attr("data-rects")
        .split(';')
        .map(|r| {
            let f: Vec<&str> = r.split(',').collect();
            let n = |i: usize| f[i].parse::<i64>().unwrap().max(0) as u32;
            (f[0].to_string(), n(1), n(2), n(3), n(4))
        })
        .collect();
    (rects, attr("data-height").parse().unwrap())
}

/// The screenshot as RGB rows.
struct Image {
    width: usize,
    height: usize,
    rgb: Vec<[u8; 3]>,
}

fn read_png(path: &Path) -> Image {
    let decoder = png::Decoder::new(fs::File::open(path).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let step = info.color_type.samples();
    assert!(step >= 3, "an RGB(A) screenshot, not {:?}", info.color_type);
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    let rgb = buf[..info.buffer_size()]
        .chunks(step)
        .map(|c| [c[0], c[1], c[2]])
        .collect();
    Image {
        width: info.width as usize,
        height: info.height as usize,
        rgb,
    }
}

/// Pixels of a saturated colour inside a rectangle (2 px in from its edges).
fn coloured(img: &Image, x: u32, y: u32, w: u32, h: u32) -> usize {
    let mut n = 0;
    for yy in (y + 2) as usize..(y + h).saturating_sub(2) as usize {
        for xx in (x + 2) as usize..(x + w).saturating_sub(2) as usize {
            if xx < img.width && yy < img.height {
                let [r, g, b] = img.rgb[yy * img.width + xx];
                if r.max(g).max(b) - r.min(g).min(b) > 60 {
                    n += 1;
                }
            }
        }
    }
    n
}

/// Open `report` alone in an empty folder and check it as the module doc says.
fn check_in_browser(chromium: &Path, report: &Path, charts: &[&str], shots: &Path) {
    let html = fs::read_to_string(report).unwrap();
    // Nothing in the file points elsewhere (the SVG namespace is a name, not a fetch).
    let stripped = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    for bad in [
        "http://", "https://", "src=", "<link", "<script", "url(", "@import",
    ] {
        assert!(!stripped.contains(bad), "the report contains {bad:?}");
    }
    let alone = tempfile::tempdir().unwrap();
    let page = alone.path().join("report.html");
    fs::copy(report, &page).unwrap();
    assert_eq!(
        fs::read_dir(alone.path()).unwrap().count(),
        1,
        "nothing else"
    );

    let width = 1000;
    let (rects, height) = plot_areas(chromium, &html, width);
    let ids: Vec<&str> = rects.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(ids, charts, "every chart has a plot area, in order");
    assert!(height > 1000 && height < 16000, "page height {height}");

    let png = shots.join(format!(
        "{}.png",
        report
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
    ));
    let net = shots.join("net.json");
    browse(
        chromium,
        &page,
        &[
            format!("--screenshot={}", png.display()),
            format!("--window-size={width},{height}"),
            format!("--log-net-log={}", net.display()),
        ],
    );
    let img = read_png(&png);
    assert_eq!((img.width, img.height), (width as usize, height as usize));
    for (id, x, y, w, h) in &rects {
        assert!(*w > 100 && *h > 100, "chart {id}: plot area {w}x{h}");
        assert!((x + w) as usize <= img.width && (y + h) as usize <= img.height);
        let n = coloured(&img, *x, *y, *w, *h);
        assert!(n >= 50, "chart {id}: only {n} data pixels in its plot area");
    }
    // The header (title block) lies above the first chart and has no chart colours in
    // its table: the pixel test does not find data where there is none.
    let (_, _, first_y, _, _) = rects[0];
    assert!(coloured(&img, 0, 0, width, first_y.min(120)) < 50);
    let requests = page_requests(&net);
    assert!(requests.is_empty(), "the page made requests: {requests:?}");
}

#[test]
fn reports_draw_every_chart_in_chromium_and_need_no_network() {
    let Some(chromium) = chromium() else {
        return;
    };
    let t0 = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let shots = std::env::var_os("CHOKEPOINT_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| tmp.path().join("shots"));
    fs::create_dir_all(&shots).unwrap();

    // The detector of page requests sees one.
    let control = tmp.path().join("control");
    fs::create_dir(&control).unwrap();
    let page = control.join("control.html");
    fs::write(
        &page,
        "<!DOCTYPE html><html><body><img src=\"http://127.0.0.1:9/x.png\"></body></html>",
    )
    .unwrap();
    let net = control.join("net.json");
    browse(
        &chromium,
        &page,
        &[
            format!("--screenshot={}", control.join("c.png").display()),
            "--window-size=300,200".into(),
            format!("--log-net-log={}", net.display()),
        ],
    );
    let seen = page_requests(&net);
    assert!(
        seen.iter()
            .any(|(_, url)| url.starts_with("http://127.0.0.1:9/")),
        "the control page's request is seen: {seen:?}"
    );

    let (run, mc) = outputs(tmp.path());
    check_in_browser(
        &chromium,
        &run.join("report.html"),
        &[
            "stranded",
            "delivered",
            "components",
            "corridor-use",
            "price-1",
            "price-2",
            "price-3",
            "map",
        ],
        &shots,
    );
    check_in_browser(
        &chromium,
        &mc.join("report.html"),
        &[
            "fan-stranded",
            "fan-delivered",
            "exceedance",
            "components",
            "convergence",
            "map",
        ],
        &shots,
    );
    let cmp = compare_output(tmp.path());
    check_in_browser(
        &chromium,
        &cmp.join("report.html"),
        &["paired-differences", "p-best", "benefit-cost", "regret"],
        &shots,
    );
    let crit = criticality_output(tmp.path());
    check_in_browser(
        &chromium,
        &crit.join("report.html"),
        &["ranking", "contributions", "diversion", "map"],
        &shots,
    );
    eprintln!(
        "browser test of the reports: {:.1} s (screenshots in {})",
        t0.elapsed().as_secs_f64(),
        shots.display()
    );
    let _ = root();
}

#[test]
fn damaged_files_are_errors_or_reports_never_panics() {
    let tmp = tempfile::tempdir().unwrap();
    let (run, mc) = outputs(tmp.path());
    let crit = criticality_output(tmp.path());
    let options = chokepoint::report::Options::default();
    let mut cases = 0;
    for dir in [&run, &mc, &crit] {
        let names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".csv") || n == "manifest.json")
            .collect();
        for name in names {
            let original = fs::read(dir.join(&name)).unwrap();
            let n = original.len();
            let damaged: Vec<Vec<u8>> = vec![
                Vec::new(),
                original[..n / 3].to_vec(),
                original[..2 * n / 3].to_vec(),
                [&original[..n / 2], b"\n1,2,x,\"\xff\n,,,,,,,,,\n"].concat(),
                original
                    .iter()
                    .map(|&b| if b == b'1' { b'-' } else { b })
                    .collect(),
            ];
            for bytes in damaged {
                fs::write(dir.join(&name), &bytes).unwrap();
                let result = std::panic::catch_unwind(|| chokepoint::report::render(dir, &options));
                assert!(
                    result.is_ok(),
                    "{name}: the report panicked on a damaged file"
                );
                cases += 1;
            }
            fs::write(dir.join(&name), &original).unwrap();
        }
        assert!(chokepoint::report::render(dir, &options).is_ok());
    }
    assert!(cases >= 40, "{cases}");
}

/// `report::charts` (what a notebook shows one at a time) returns the report's own charts:
/// each SVG is in the page verbatim, in the page's order, for every kind of folder.
#[test]
fn charts_are_the_reports_svgs_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let (run, mc) = outputs(tmp.path());
    let folders = [
        (run, &["stranded", "delivered", "components", "map"][..]),
        (
            mc,
            &["fan-stranded", "fan-delivered", "exceedance", "convergence"][..],
        ),
        (
            compare_output(tmp.path()),
            &["paired-differences", "p-best", "benefit-cost", "regret"][..],
        ),
        (
            criticality_output(tmp.path()),
            &["ranking", "contributions", "diversion"][..],
        ),
    ];
    for (dir, expected) in folders {
        let html = fs::read_to_string(dir.join("report.html")).unwrap();
        let charts = chokepoint::report::charts(&dir, &Default::default()).unwrap();
        let ids: Vec<&str> = charts.iter().map(|c| c.id.as_str()).collect();
        for id in expected {
            assert!(ids.contains(id), "{}: {ids:?} lacks {id}", dir.display());
        }
        let mut at = 0;
        for c in &charts {
            assert!(c.svg.starts_with("<svg"), "{}", c.id);
            let found = html[at..].find(&c.svg);
            assert!(
                found.is_some(),
                "{}: chart {} not in the page in order",
                dir.display(),
                c.id
            );
            at += found.unwrap() + c.svg.len();
            assert!(!c.title.is_empty() && !c.caption.is_empty());
        }
    }
    assert!(chokepoint::report::charts(tmp.path(), &Default::default()).is_err());
}

/// `report --out` writes only a new file or a report chokepoint wrote: the issue's repro
/// (`--out README.md` replaced the README with HTML) exits 2 naming --force and leaves
/// the file as it was; a folder as --out is a clear error; `--report` lists report.html
/// in the manifest, with its checksum.
#[test]
fn report_out_never_destroys_a_users_file() {
    let tmp = tempfile::tempdir().unwrap();
    let compare = compare_output(tmp.path());
    // --report: report.html is in the manifest, with the checksum of its bytes.
    let m: serde_json::Value =
        serde_json::from_slice(&fs::read(compare.join("manifest.json")).unwrap()).unwrap();
    let listed = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "report.html")
        .expect("report.html is listed in the manifest");
    let bytes = fs::read(compare.join("report.html")).unwrap();
    assert_eq!(listed["bytes"], bytes.len() as u64);
    assert_eq!(
        listed["sha256"],
        chokepoint::output::manifest::sha256_hex(&bytes)
    );
    // The repro.
    let readme = tmp.path().join("README.md");
    fs::write(&readme, "# my notes\n").unwrap();
    fails_with(
        &["report", p(&compare), "--out", p(&readme)],
        &[
            "README.md exists and is not a report chokepoint wrote",
            "--force",
        ],
    );
    assert_eq!(fs::read_to_string(&readme).unwrap(), "# my notes\n");
    // A folder as --out.
    fails_with(
        &["report", p(&compare), "--out", p(tmp.path())],
        &["is a folder: name the HTML file to write"],
    );
    // A new file, then the same file again (chokepoint's own report), then --force.
    let page = tmp.path().join("page.html");
    ok(&["report", p(&compare), "--out", p(&page)]);
    ok(&["report", p(&compare), "--out", p(&page)]);
    ok(&["report", p(&compare), "--out", p(&readme), "--force"]);
    assert!(fs::read_to_string(&readme)
        .unwrap()
        .contains("<!DOCTYPE html>"));
    // A report rewritten in its folder stays listed, with its new checksum.
    ok(&["report", p(&compare)]);
    let m: serde_json::Value =
        serde_json::from_slice(&fs::read(compare.join("manifest.json")).unwrap()).unwrap();
    let n = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["name"] == "report.html")
        .count();
    assert_eq!(n, 1);
}

/// Replace the cell of `column` in the first row of `dir/name` by `x`, render the report,
/// and return the error (the file is restored).
fn report_error_with_bad_cell(dir: &Path, name: &str, column: &str) -> chokepoint::Error {
    let path = dir.join(name);
    let original = fs::read(&path).unwrap();
    let mut r = csv::Reader::from_reader(&original[..]);
    let header = r.headers().unwrap().clone();
    let c = header
        .iter()
        .position(|h| h == column)
        .unwrap_or_else(|| panic!("{name}: no column {column}"));
    let mut rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert!(!rows.is_empty(), "{name} has no rows");
    let mut first: Vec<String> = rows[0].iter().map(String::from).collect();
    first[c] = "x".into();
    rows[0] = csv::StringRecord::from(first);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header).unwrap();
    for row in &rows {
        w.write_record(row).unwrap();
    }
    fs::write(&path, w.into_inner().unwrap()).unwrap();
    let result = chokepoint::report::render(dir, &chokepoint::report::Options::default());
    fs::write(&path, &original).unwrap();
    match result {
        Ok(_) => panic!("{name}: a report despite `x` in column {column}"),
        Err(e) => e,
    }
}

/// Every file a report reads is read into typed rows: text in a number cell is an
/// `Error::File` naming the file, its line (2: the first row under the header), the
/// column and the cell, for each kind of folder and each file; the CLI exits 2 with it.
#[test]
fn a_bad_cell_in_any_file_a_report_reads_names_its_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let (run, mc) = outputs(tmp.path());
    let compare = compare_output(tmp.path());
    let crit = criticality_output(tmp.path());
    let unc = tmp.path().join("unc");
    ok(&[
        "uncertainty",
        "tests/fixtures/uncertainty/base.toml",
        "tests/fixtures/uncertainty/wider_north.toml",
        "tests/fixtures/uncertainty/wider_south.toml",
        "--points",
        "8",
        "--years",
        "5",
        "--seed",
        "4",
        "--bootstrap",
        "50",
        "-q",
        "--out",
        p(&unc),
    ]);
    let cases: Vec<(&Path, &str, &str)> = vec![
        (&run, "run.csv", "value"),
        (&run, "daily.csv", "day"),
        (&run, "daily.csv", "value"),
        (&run, "prices.csv", "price_usd_per_t"),
        (&mc, "summary.csv", "value"),
        (&mc, "daily_bands.csv", "p50"),
        (&mc, "exceedance.csv", "return_period_years"),
        (&mc, "convergence.csv", "mean_total_loss_usd"),
        (&mc, "runs.csv", "total_loss_usd"),
        (&mc, "controlled.csv", "mean"),
        (&compare, "differences.csv", "mean_reduction"),
        (&compare, "wins.csv", "p_beats"),
        (&compare, "best.csv", "p_best"),
        (&compare, "benefit_cost.csv", "pv_benefit_usd"),
        (&compare, "futures.csv", "regret_usd_per_year"),
        (&compare, "robustness.csv", "max_regret_usd_per_year"),
        (&compare, "robustness.csv", "least_max_regret"),
        (&crit, "criticality.csv", "total_loss_usd"),
        (&crit, "diversion.csv", "closed"),
        (&crit, "diversion.csv", "before_t_per_day"),
        (&crit, "contributions.csv", "mean_contribution_usd"),
        (&crit, "contribution_summary.csv", "value"),
        (&unc, "predictive.csv", "value_usd"),
        (&unc, "variance_split.csv", "parameter_share"),
        (&unc, "indices.csv", "estimate"),
        (&unc, "options.csv", "p50"),
        (&unc, "rankings.csv", "share_holds"),
    ];
    for (dir, name, column) in cases {
        match report_error_with_bad_cell(dir, name, column) {
            chokepoint::Error::File {
                path,
                line,
                column: c,
                message,
            } => {
                assert!(path.ends_with(name), "{name}: {path:?}");
                assert_eq!(line, 2, "{name} {column}: {message}");
                assert_eq!(c.as_deref(), Some(column), "{name}: {message}");
                assert!(message.contains("\"x\""), "{name} {column}: {message}");
            }
            e => panic!("{name} {column}: not a file error: {e}"),
        }
    }
    // The CLI says the same, and exits 2.
    let text = fs::read_to_string(crit.join("criticality.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let c = lines[0]
        .split(',')
        .position(|h| h == "peak_stranded_trucks")
        .unwrap();
    let mut cells: Vec<&str> = lines[2].split(',').collect();
    cells[c] = "many";
    lines[2] = cells.join(",");
    fs::write(crit.join("criticality.csv"), lines.join("\n") + "\n").unwrap();
    fails_with(
        &["report", p(&crit)],
        &[
            "criticality.csv:3 (column peak_stranded_trucks)",
            "\"many\" is not a number",
        ],
    );
}

/// The compare headline (`compare::headline::from_dir`, which `report` and Python read)
/// names the line and column of a bad cell of benefit_cost.csv or wins.csv.
#[test]
fn a_bad_cell_in_a_compare_folder_names_its_line_and_column_in_the_headline() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = compare_output(tmp.path());
    for (name, column) in [
        ("benefit_cost.csv", "tvar95_reduction_usd"),
        ("wins.csv", "p_beats"),
    ] {
        let path = dir.join(name);
        let original = fs::read_to_string(&path).unwrap();
        let mut lines: Vec<String> = original.lines().map(String::from).collect();
        let c = lines[0].split(',').position(|h| h == column).unwrap();
        let mut cells: Vec<&str> = lines[1].split(',').collect();
        cells[c] = "ten";
        lines[1] = cells.join(",");
        fs::write(&path, lines.join("\n") + "\n").unwrap();
        let err = chokepoint::compare::headline::from_dir(&dir).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains(&format!("{name}:2 (column {column})")) && text.contains("\"ten\""),
            "{text}"
        );
        fs::write(&path, original).unwrap();
    }
}
