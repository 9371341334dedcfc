//! Guest task for Ray-style dataflow: refs as arguments, several returns, retries and
//! nested tasks through the host's `wask:runtime/tasks` interface.

wit_bindgen::generate!({
    path: ["../../wit/runtime.wit", "../../wit/dataflow.wit"],
    world: "wask:dataflow/dataflow",
    generate_all,
});

use wask::runtime::tasks;

struct Dataflow;

impl Guest for Dataflow {
    fn split(numbers: Vec<u64>) -> (Vec<u64>, Vec<u64>) {
        numbers.into_iter().partition(|n| n % 2 == 0)
    }

    fn sum(numbers: Vec<u64>) -> u64 {
        numbers.iter().sum()
    }

    fn increment(n: u64) -> u64 {
        n + 1
    }

    fn check(n: u64, fail: bool) -> u64 {
        if fail {
            panic!("check failed for {n}");
        }
        n
    }

    fn random_u64() -> u64 {
        use std::hash::BuildHasher;
        std::collections::hash_map::RandomState::new().hash_one(0u8)
    }

    fn count_tree(depth: u32) -> u64 {
        if depth == 0 {
            return 1;
        }
        let call = format!("count-tree({})", depth - 1);
        let children = [&call, &call].map(|c| tasks::submit(c).expect("the host accepts the call"));
        let counts = children.map(|handle| {
            let wave = tasks::get(handle).expect("a child task succeeds");
            wave.parse::<u64>().expect("a child returns a u64")
        });
        1 + counts.iter().sum::<u64>()
    }
}

export!(Dataflow);
