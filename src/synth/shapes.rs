//! Benchmark corpora in the shapes real archives have (the bulk mode's events, other layouts).
//!
//! * `realistic`: what a trail delivers: one file per account, region and 5 minutes with events,
//!   over days. Activity follows the hour of the day and the weekday, a few accounts and one or
//!   two regions hold most events, quiet regions deliver a file now and then, and rare bursts
//!   make files of megabytes: most files are a few KB.
//! * `one-event-files`: every file holds a single event (a per-file cost shows at once).
//! * `org-trail`: an organisation export whose every file spans every account, region and day
//!   (thousands of partitions touched by each file).
//!
//! Deterministic like the rest of synth: each file has its own PRNG stream, so files are
//! generated in parallel and the output does not depend on the number of threads.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::bulk::{self, Principal, ACCOUNT, DAY};
use super::identity::Actor;
use super::record::Record;
use super::rng::Rng;
use super::writer::{log_file_name, trail_dir, write_pretty, write_records, Written};

/// Regions in order of activity (the first five are the bulk mode's).
const REGIONS: &[&str] = &[
    "us-east-1",
    "eu-west-1",
    "us-west-2",
    "eu-central-1",
    "ap-southeast-1",
    "us-east-2",
    "eu-west-2",
    "ap-northeast-1",
    "ca-central-1",
    "sa-east-1",
];

/// Seconds between deliveries of one account and region.
const SLOT: i64 = 300;
const ORG: &str = "o-exampleorg1";

/// Account `i` of a multi-account corpus (account 0 is the bulk mode's).
fn account(i: u32) -> String {
    format!("{:012}", ACCOUNT.parse::<u64>().unwrap_or(0) + u64::from(i) * 1_000_003)
}

/// One file to write: where, which events.
struct FileSpec {
    account: u32,
    region: usize,
    /// First second the events may take.
    t0: i64,
    /// Events spread over `t0 .. t0 + span`.
    span: i64,
    events: u64,
    /// Partitions the events cycle through (org-trail): the numbers of accounts, regions and
    /// days, and the index of the file's first event in the whole export.
    cycle: Option<(u32, usize, i64, u64)>,
}

/// Arguments shared by the shapes.
struct Plan<'a> {
    out: &'a Path,
    seed: u64,
    start: i64,
    days: i64,
    accounts: u32,
    regions: usize,
    level: u32,
    ps: Vec<Principal>,
}

pub fn generate(args: &super::SynthArgs) -> anyhow::Result<Written> {
    let plan = Plan {
        out: &args.out,
        seed: args.seed,
        start: bulk::day_start(&args.start)?,
        days: i64::from(args.days.max(1)),
        accounts: args.accounts.max(1),
        regions: (args.regions.max(1) as usize).min(REGIONS.len()),
        level: args.gzip_level.clamp(1, 9),
        ps: bulk::principals(args.principals.max(1)),
    };
    let specs = match args.shape {
        super::Shape::Realistic => realistic_files(&plan, args.events),
        super::Shape::OneEventFiles => one_event_files(&plan, args.events),
        super::Shape::OrgTrail => org_trail_files(&plan, args.events, args.events_per_file.max(1)),
        super::Shape::Bulk => unreachable!("bulk mode has its own generator"),
    };
    let total = specs.par_iter().enumerate().map(|(i, f)| write_file(&plan, i, f)).try_reduce(
        Written::default,
        |mut a, b| {
            a.add(b);
            Ok(a)
        },
    )?;
    let mut w = total;
    let iam = bulk::authorization_details(&plan.ps, &account(0));
    w.bytes += write_pretty(&args.out.join("iam").join("authorization-details.json"), &iam)?;
    w.files += 1;
    Ok(w)
}

/// A standard normal draw (Box-Muller).
fn gauss(r: &mut Rng) -> f64 {
    let u = ((r.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    let v = (r.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// A Poisson draw of mean `lambda` (normal approximation above 30).
fn poisson(r: &mut Rng, lambda: f64) -> u64 {
    if lambda > 30.0 {
        return (lambda + lambda.sqrt() * gauss(r)).round().max(0.0) as u64;
    }
    let (limit, mut p, mut k) = ((-lambda).exp(), 1.0, 0);
    loop {
        p *= ((r.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
        if p <= limit {
            return k;
        }
        k += 1;
    }
}

/// Activity of a 5-minute slot: office hours in UTC, quieter weekends.
fn diurnal(day: i64, slot: i64) -> f64 {
    let hour = slot as f64 * SLOT as f64 / 3600.0;
    let office = ((hour - 6.0) / 14.0 * std::f64::consts::PI).sin().max(0.0);
    let weekend = if (day + 2).rem_euclid(7) >= 5 { 0.4 } else { 1.0 };
    (0.25 + office) * weekend
}

/// Per account, region, day and 5 minutes: a file when the slot has events. Counts are drawn
/// (Poisson around the activity, with noise and rare bursts), then scaled so that they add up
/// to exactly `events`.
fn realistic_files(plan: &Plan, events: u64) -> Vec<FileSpec> {
    let mut r = Rng::derive(plan.seed, "realistic-plan");
    let slots = DAY / SLOT;
    let mut cells = Vec::new();
    let mut weight_sum = 0.0;
    for a in 0..plan.accounts {
        // A few accounts hold most events.
        let wa = 1.0 / f64::from((a + 1) * (a + 1));
        for g in 0..plan.regions {
            // The home region, a second one, then regions that see little.
            let wr = match g {
                0 => 1.0,
                1 => 0.3,
                _ => 0.002,
            };
            for day in 0..plan.days {
                for slot in 0..slots {
                    let w = wa * wr * diurnal(day, slot);
                    weight_sum += w;
                    cells.push((a, g, day, slot, w));
                }
            }
        }
    }
    let mut drawn = Vec::with_capacity(cells.len());
    let mut drawn_sum = 0u64;
    for (a, g, day, slot, w) in cells {
        let mut lambda = events as f64 * w / weight_sum * (0.5 * gauss(&mut r)).exp();
        if r.chance(0.002) {
            lambda *= 40.0;
        }
        let n = poisson(&mut r, lambda);
        drawn_sum += n;
        drawn.push((a, g, day, slot, n));
    }
    // Cumulative rounding: exact total, an empty slot stays empty.
    let mut files = Vec::new();
    let (mut cum, mut given) = (0u64, 0u64);
    for (a, g, day, slot, n) in drawn {
        cum += n;
        let upto =
            if drawn_sum == 0 { 0 } else { (u128::from(cum) * u128::from(events) / u128::from(drawn_sum)) as u64 };
        let k = upto - given;
        given = upto;
        if k > 0 {
            let t0 = plan.start + day * DAY + slot * SLOT;
            files.push(FileSpec { account: a, region: g, t0, span: SLOT, events: k, cycle: None });
        }
    }
    files
}

/// `events` files of one event each, spread evenly over the days and regions.
fn one_event_files(plan: &Plan, events: u64) -> Vec<FileSpec> {
    let span = plan.days * DAY;
    (0..events)
        .map(|i| {
            let t0 = plan.start + (i128::from(i) * i128::from(span) / i128::from(events.max(1))) as i64;
            FileSpec { account: 0, region: (i % plan.regions as u64) as usize, t0, span: 1, events: 1, cycle: None }
        })
        .collect()
}

/// Files of `per_file` events; event `i` of the whole export belongs to partition
/// `i % (accounts x regions x days)`, so every file touches every partition once it is large
/// enough.
fn org_trail_files(plan: &Plan, events: u64, per_file: u64) -> Vec<FileSpec> {
    let files = events.div_ceil(per_file);
    (0..files)
        .map(|f| FileSpec {
            account: 0,
            region: 0,
            t0: plan.start,
            span: DAY,
            events: per_file.min(events - f * per_file),
            cycle: Some((plan.accounts, plan.regions, plan.days, f * per_file)),
        })
        .collect()
}

fn write_file(plan: &Plan, idx: usize, f: &FileSpec) -> anyhow::Result<Written> {
    let mut r = Rng::derive(plan.seed, &format!("shape-file-{idx}"));
    let (acct, region) = (account(f.account), REGIONS[f.region]);
    let mut times: Vec<i64> = (0..f.events).map(|_| f.t0 + r.range(0, f.span.max(1))).collect();
    times.sort_unstable();
    // Delivered at the end of its 5 minutes.
    let stamp = (times.last().copied().unwrap_or(f.t0) / SLOT + 1) * SLOT;
    // The folder's date is the delivery's, like the name's (the last file of a day is in the next).
    let dir = match f.cycle {
        Some(_) => trail_dir(plan.out, Some(ORG), &acct, region, stamp),
        None => trail_dir(plan.out, None, &acct, region, stamp),
    };
    let path: PathBuf = dir.join(log_file_name(&acct, region, stamp, &r.alnum(16)));
    let mut actors: Vec<(i64, Option<Actor>)> = (0..plan.ps.len()).map(|_| (-1, None)).collect();
    let records = times.iter().enumerate().map(|(i, &t)| {
        let rec: Record = match f.cycle {
            None => {
                let day = (t - plan.start).div_euclid(DAY);
                bulk::event(&plan.ps, &mut actors, &mut r, region, t, day, plan.start, &acct)
            }
            Some((accounts, regions, days, first)) => {
                // The partition of this event in the whole export.
                let p = first + i as u64;
                let partitions = u64::from(accounts) * regions as u64 * days as u64;
                let p = p % partitions;
                let (a, rest) = ((p / (regions as u64 * days as u64)) as u32, p % (regions as u64 * days as u64));
                let (g, day) = ((rest / days as u64) as usize, (rest % days as u64) as i64);
                let t = plan.start + day * DAY + (t - f.t0);
                bulk::event(&plan.ps, &mut actors, &mut r, REGIONS[g], t, day, plan.start, &account(a))
            }
        };
        Ok(rec)
    });
    let bytes = write_records(&path, records, plan.level, true)?;
    Ok(Written { files: 1, events: f.events, bytes })
}
