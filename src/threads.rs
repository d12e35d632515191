//! Work that calls polars, spread over a few plain threads.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Run `f` on every item on a few plain threads, each taking the next item when it is done;
/// results come back in the items' order.
///
/// Not on a rayon pool: polars blocks on its own pool inside a job, and a rayon worker that
/// blocks across pools steals the next job onto the same stack (thousands of partitions then
/// nest thousands of jobs and overflow it). A plain thread just waits.
pub fn on_plain_threads<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(items.len());
    let slots: Vec<Mutex<Option<T>>> = items.into_iter().map(|j| Mutex::new(Some(j))).collect();
    let results: Vec<Mutex<Option<R>>> = slots.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(slot) = slots.get(i) else { break };
                let item = slot.lock().expect("item slot").take().expect("each item is taken once");
                *results[i].lock().expect("result slot") = Some(f(item));
            });
        }
    });
    results.into_iter().map(|r| r.into_inner().expect("result slot").expect("every item ran")).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_item_once_in_order() {
        let got = super::on_plain_threads((0..1000).collect(), |i: u64| i * 2);
        assert_eq!(got, (0..1000).map(|i| i * 2).collect::<Vec<_>>());
        assert!(super::on_plain_threads(Vec::<u8>::new(), |i| i).is_empty());
    }
}
