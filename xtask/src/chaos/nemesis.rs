//! The nemesis: one fault at a time, chosen with the campaign's seeded generator, held for a
//! while, then healed; between faults the cluster runs undisturbed for a while. The faults:
//! SIGKILL and restart (the leader more often), SIGSTOP / SIGCONT, partitions through the
//! peer proxies (a member isolated, a majority / minority split, one-way, a bridge), and a
//! member removed and added back with an empty data dir (the v2 members API); and compound
//! faults, a partition with a kill or a pause inside it.

use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use hecd_testkit::cluster::Cluster;

/// How long a member may take to stop by itself after its removal.
const REMOVED_EXIT: Duration = Duration::from_secs(10);

/// The kinds of fault, with their weights.
const FAULTS: &[(Fault, u32)] = &[
    (Fault::KillLeader, 3),
    (Fault::Kill, 2),
    (Fault::Pause, 2),
    (Fault::Isolate, 2),
    (Fault::Split, 1),
    (Fault::OneWay, 2),
    (Fault::Bridge, 1),
    (Fault::Readd, 1),
    (Fault::Compound, 3),
];

#[derive(Debug, Clone, Copy)]
enum Fault {
    KillLeader,
    Kill,
    Pause,
    Isolate,
    Split,
    OneWay,
    Bridge,
    Readd,
    /// A partition and, inside it, a kill or a pause.
    Compound,
}

/// Runs faults until `until`, logging each; returns (faults injected, problems).
///
/// A problem is a fault the cluster did not recover from (a member that does not come back, a
/// membership change refused for longer than the testkit waits).
pub fn run(
    c: &mut Cluster,
    rng: &mut fastrand::Rng,
    start: Instant,
    until: Instant,
) -> (u64, Vec<String>) {
    let log = |what: &str| eprintln!("[{:7.2}s] {what}", start.elapsed().as_secs_f64());
    let total: u32 = FAULTS.iter().map(|f| f.1).sum();
    let (mut faults, mut problems) = (0, Vec::new());
    loop {
        // The schedule: a quiet spell, then a fault held for a while.
        let quiet = Duration::from_millis(rng.u64(1000..3000));
        if Instant::now() + quiet >= until {
            break;
        }
        std::thread::park_timeout(quiet);
        let mut roll = rng.u32(0..total);
        let fault = FAULTS
            .iter()
            .find(|(_, w)| {
                let hit = roll < *w;
                roll = roll.saturating_sub(*w);
                hit
            })
            .map_or(Fault::Kill, |f| f.0);
        let hold = Duration::from_millis(rng.u64(1000..5000));
        faults += 1;
        let r = std::panic::catch_unwind(AssertUnwindSafe(|| inject(c, rng, fault, hold, &log)));
        match r {
            Ok(Ok(())) => {}
            Ok(Err(e)) => problems.push(format!("{fault:?}: {e}")),
            Err(p) => {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                let first = msg.lines().next().unwrap_or_default().to_owned();
                log(&format!("fault {fault:?} failed: {first}"));
                problems.push(format!("{fault:?}: {msg}"));
                // Bring back whatever can be brought back, for the final checks.
                heal_all(c);
            }
        }
    }
    (faults, problems)
}

/// Heals every partition and starts every stopped member again.
pub fn heal_all(c: &mut Cluster) {
    c.heal();
    for i in 0..c.members.len() {
        c.resume(i);
        if c.members[i].proc.is_none() {
            c.restart(i);
        }
    }
}

/// The leader, or a random running member when there is none right now (the random draw is
/// made either way, so that a replay's later choices do not depend on election timing).
fn leader_or_any(c: &Cluster, rng: &mut fastrand::Rng) -> usize {
    let running = c.running();
    let any = running[rng.usize(..running.len())];
    c.leader().unwrap_or(any)
}

/// Every member's id, as the leader (or any member) lists them.
fn ids(c: &Cluster, via: usize) -> Result<Vec<String>, String> {
    (0..c.members.len())
        .map(|i| c.member_id(via, i).ok_or_else(|| format!("no member id for m{i}")))
        .collect()
}

/// What heals a fault.
enum Undo {
    Restart(usize),
    Resume(usize),
    Heal,
    Nothing,
}

/// Injects `fault`, holds it for `hold`, heals it. A compound fault is a partition and, inside
/// it, a kill or a pause, held and healed together.
fn inject(
    c: &mut Cluster,
    rng: &mut fastrand::Rng,
    fault: Fault,
    hold: Duration,
    log: &dyn Fn(&str),
) -> Result<(), String> {
    let mut undo = Vec::new();
    if let Fault::Compound = fault {
        let net = [Fault::Isolate, Fault::Split, Fault::OneWay, Fault::Bridge][rng.usize(..4)];
        undo.push(apply(c, rng, net, hold, log)?);
        let proc = [Fault::KillLeader, Fault::Kill, Fault::Pause][rng.usize(..3)];
        undo.push(apply(c, rng, proc, hold, log)?);
    } else {
        undo.push(apply(c, rng, fault, hold, log)?);
    }
    std::thread::park_timeout(hold);
    for u in undo.into_iter().rev() {
        match u {
            Undo::Restart(i) => {
                log(&format!("restart m{i}"));
                c.restart(i);
            }
            Undo::Resume(i) => {
                log(&format!("resume m{i}"));
                c.resume(i);
            }
            Undo::Heal => {
                log("heal partition");
                c.heal();
            }
            Undo::Nothing => {}
        }
    }
    Ok(())
}

fn apply(
    c: &mut Cluster,
    rng: &mut fastrand::Rng,
    fault: Fault,
    hold: Duration,
    log: &dyn Fn(&str),
) -> Result<Undo, String> {
    let n = c.members.len();
    let name = |i: usize| format!("m{i}");
    let leader = c.leader();
    let tag = |i: usize| if leader == Some(i) { " (leader)" } else { "" };
    match fault {
        Fault::KillLeader | Fault::Kill => {
            let i = match fault {
                Fault::KillLeader => leader_or_any(c, rng),
                _ => rng.usize(..n),
            };
            log(&format!("kill {}{}", name(i), tag(i)));
            c.kill(i);
            Ok(Undo::Restart(i))
        }
        Fault::Pause => {
            let i = if rng.bool() { leader_or_any(c, rng) } else { rng.usize(..n) };
            log(&format!("pause {}{}", name(i), tag(i)));
            c.pause(i);
            Ok(Undo::Resume(i))
        }
        Fault::Isolate | Fault::Split | Fault::OneWay | Fault::Bridge => {
            let via = leader_or_any(c, rng);
            let ids = ids(c, via)?;
            let mut order: Vec<usize> = (0..n).collect();
            rng.shuffle(&mut order);
            match fault {
                Fault::Isolate => {
                    let i = if rng.bool() { via } else { order[0] };
                    let rest: Vec<usize> = (0..n).filter(|&j| j != i).collect();
                    log(&format!("partition: isolate {}{}", name(i), tag(i)));
                    c.partition(&[vec![i], rest], &ids);
                }
                Fault::Split => {
                    let k = rng.usize(1..=n / 2);
                    let (a, b) = order.split_at(k);
                    log(&format!("partition: {} | {}", names(a), names(b)));
                    c.partition(&[a.to_vec(), b.to_vec()], &ids);
                }
                Fault::OneWay => {
                    // The sender is the leader half of the time.
                    let from = if rng.bool() { via } else { order[0] };
                    let others: Vec<usize> = (0..n).filter(|&j| j != from).collect();
                    let k = rng.usize(1..=others.len());
                    let to = &others[..k];
                    log(&format!(
                        "partition one-way: {}{} -/-> {}",
                        name(from),
                        tag(from),
                        names(to)
                    ));
                    for &t in to {
                        c.block(&ids[from], t, true);
                    }
                }
                _ => {
                    let (bridge, rest) = order.split_first().expect("members");
                    let (a, b) = rest.split_at(rest.len() / 2);
                    log(&format!(
                        "partition: bridge {} between {} | {}",
                        name(*bridge),
                        names(a),
                        names(b)
                    ));
                    c.partition(&[a.to_vec(), b.to_vec()], &ids);
                }
            }
            Ok(Undo::Heal)
        }
        Fault::Readd => {
            let via = leader_or_any(c, rng);
            let i = if rng.u32(0..3) == 0 { via } else { rng.usize(..n) };
            // Ask a member that stays (the leader steps down when it is removed itself).
            let ask = if i == via { (via + 1) % n } else { via };
            log(&format!("remove member {}{}", name(i), tag(i)));
            let st = c.remove_member(ask, i);
            if !matches!(st, 200 | 204) {
                return Err(format!("removing m{i} answered {st}"));
            }
            // A removed member stops by itself; one that does not is stopped.
            if let Some(mut p) = c.members[i].proc.take() {
                if p.wait_exit(REMOVED_EXIT).is_err() {
                    log(&format!("{} did not stop after its removal; killing it", name(i)));
                    let _ = p.signal("KILL");
                    let _ = p.wait_exit(REMOVED_EXIT);
                }
            }
            std::thread::park_timeout(hold);
            let via = c.wait_leader(Duration::from_secs(30));
            log(&format!("add {} back (empty data dir)", name(i)));
            c.rejoin(via, i);
            Ok(Undo::Nothing)
        }
        Fault::Compound => Err("a compound fault is not applied directly".into()),
    }
}

fn names(ms: &[usize]) -> String {
    let v: Vec<String> = ms.iter().map(|i| format!("m{i}")).collect();
    v.join(",")
}
